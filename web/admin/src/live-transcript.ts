/**
 * How a live call's transcript grows (pure, so it is tested on its own). A line is known by its
 * speaker and start offset: the same line again (the feed's snapshot overlapping its stream)
 * replaces it, a speaker's newer interim words replace the older ones, and final words replace
 * the interim ones they settle. Lines stay in the order they were spoken.
 */

export interface SpokenLine {
  speaker: 'caller' | 'agent';
  text: string;
  final: boolean;
  /** Ms since the call's stream started. */
  atMs: number;
}

export function addLine<L extends SpokenLine>(lines: readonly L[], line: L): L[] {
  const same = lines.findIndex((l) => l.speaker === line.speaker && l.atMs === line.atMs);
  const pending = lines.findIndex((l) => l.speaker === line.speaker && !l.final);
  const at = same >= 0 ? same : pending;
  if (at < 0) return insertInOrder(lines, line);
  const old = lines[at] as L;
  // Interim words arriving after the final ones (a reordered feed) would undo them.
  if (old.final && !line.final) return lines.slice();
  const next = lines.slice();
  next.splice(at, 1);
  return insertInOrder(next, line);
}

function insertInOrder<L extends SpokenLine>(lines: readonly L[], line: L): L[] {
  let i = lines.length;
  while (i > 0 && (lines[i - 1] as L).atMs > line.atMs) i--;
  return [...lines.slice(0, i), line, ...lines.slice(i)];
}
