/**
 * What a caller may say at any moment, whatever was asked: every narrow model carries these, so
 * a caller asked for a name can still report a flood, ask to repeat, ask for a person or hang up.
 * Words close to a narrow model's own are left out where a near form does the job: "pipe" and
 * "i'm" took the place of "five", "real" of "three", "heat" of "eight" in digit strings.
 */
export const ESCAPE_PHRASES: readonly string[] = [
  // Emergencies, said the ways callers say them.
  'emergency',
  'this is an emergency',
  'it is an emergency',
  'there is water everywhere',
  'water everywhere',
  'water is everywhere',
  'the basement is flooding',
  'it is flooding',
  'flooding',
  'flooded',
  'the pipes burst',
  'the pipes are frozen',
  'frozen pipes',
  'we have no water',
  'no water at all',
  'water in the walls',
  'water is leaking',
  'it is leaking',
  'i smell gas',
  'gas leak',
  'gas',
  'there is a fire',
  'sparks',
  'sewage backing up',
  // Not understood or not sure.
  "i don't know",
  'not sure',
  'sorry what',
  'what',
  'pardon',
  'can you repeat that',
  'say that again',
  // Wants someone else.
  'speak to a person',
  'can i speak to a person',
  'talk to a person',
  'operator',
  'representative',
  // Backchannels and closings.
  'uh-huh',
  'okay',
  'mhm',
  'mhm yeah',
  'um',
  'uh',
  'hold on',
  'one second',
  'goodbye',
  'bye',
  'thank you goodbye',
  'never mind',
];
