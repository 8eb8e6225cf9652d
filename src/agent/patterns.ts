import { emergencyPatterns } from './emergency.js';
import { urgencyPatterns } from './extract/urgency.js';
import { intentPatterns } from './intent.js';
import { bookingPatterns } from './rules/booking-flow.js';
import { hoursPatterns } from './rules/hours-reply.js';
import { leadPatterns } from './rules/lead-flow.js';

/** Every phrase pattern the brain matches fuzzily, so tooling can check them together. */
export function allPatterns(): string[] {
  return [
    ...emergencyPatterns(),
    ...intentPatterns(),
    ...urgencyPatterns(),
    ...hoursPatterns(),
    ...leadPatterns(),
    ...bookingPatterns(),
  ];
}
