import { describe, expect, it } from 'vitest';
import {
  bands,
  labelEvery,
  millis,
  niceScale,
  percent,
  rangeFrom,
  scale,
  seconds,
  shortDate,
} from '../../web/admin/src/pages/parts/chart-scale.js';

describe('chart scales', () => {
  it('rounds an axis up to a round number with whole-number ticks for counts', () => {
    expect(niceScale(7)).toEqual({ max: 8, ticks: [0, 2, 4, 6, 8] });
    expect(niceScale(10)).toEqual({ max: 10, ticks: [0, 5, 10] });
    expect(niceScale(1)).toEqual({ max: 1, ticks: [0, 1] });
    expect(niceScale(3)).toEqual({ max: 3, ticks: [0, 1, 2, 3] });
    expect(niceScale(143)).toEqual({ max: 150, ticks: [0, 50, 100, 150] });
  });

  it('allows fractional steps for measurements, and an empty chart still has an axis', () => {
    expect(niceScale(912.5)).toEqual({ max: 1000, ticks: [0, 250, 500, 750, 1000] });
    expect(niceScale(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(niceScale(Number.NaN)).toEqual({ max: 1, ticks: [0, 1] });
  });

  it('places values on the axis, clamped to it', () => {
    expect(scale(5, 10, 200)).toBe(100);
    expect(scale(20, 10, 200)).toBe(200);
    expect(scale(-1, 10, 200)).toBe(0);
    expect(scale(3, 0, 200)).toBe(0);
  });

  it('splits the width into bars with gaps, centred in their bands', () => {
    const b = bands(4, 400);
    expect(b.width).toBe(75);
    expect(b.x(0)).toBe(12.5);
    expect(b.x(3)).toBe(312.5);
    expect(bands(1000, 100).width).toBe(1);
  });

  it('labels few enough dates that they do not overlap', () => {
    expect(labelEvery(7, 600)).toBe(1);
    expect(labelEvery(30, 600)).toBe(3);
    expect(labelEvery(90, 300)).toBe(15);
  });

  it('words dates, rates, durations and latencies for people', () => {
    expect(shortDate('2026-12-01')).toBe('Dec 1');
    expect(percent(0.4567)).toBe('46%');
    expect(percent(0.042)).toBe('4.2%');
    expect(percent(0)).toBe('0%');
    expect(seconds(45)).toBe('45 s');
    expect(seconds(200)).toBe('3 min 20 s');
    expect(seconds(3900)).toBe('1 h 5 min');
    expect(millis(850)).toBe('850 ms');
    expect(millis(1234)).toBe('1.2 s');
  });

  it('reads the range from ?days=, 30 unless it is one offered', () => {
    expect(rangeFrom('?days=7')).toBe(7);
    expect(rangeFrom('?days=90')).toBe(90);
    expect(rangeFrom('?days=365')).toBe(30);
    expect(rangeFrom('')).toBe(30);
  });
});
