/** The yes-no moment: after a read-back ("did I get that right?") or any yes/no question. */

const YES = [
  'yes',
  'yeah',
  'yep',
  'yup',
  'sure',
  'correct',
  'right',
  'that is right',
  "that's right",
  'yeah that is right',
  "yeah that's right",
  "that's correct",
  'that is correct',
  'yes that is correct',
  'yes please',
  'absolutely',
  'exactly',
  'of course',
  'sounds good',
  'perfect',
  'you got it',
  'yes it is',
];

const NO = [
  'no',
  'nope',
  'nah',
  'wrong',
  'nope wrong',
  'no that is wrong',
  "no that's wrong",
  'no that is not right',
  "no that's not right",
  "that's not right",
  'that is not right',
  'not quite',
  'incorrect',
  "that's incorrect",
  'no thank you',
  'no thanks',
  'not really',
  'no it is not',
  "no it's not",
];

export function yesNoPhrases(): string[] {
  return [...YES, ...NO, ...YES.map((y) => `${y} thank you`), ...NO.map((n) => `oh ${n}`)];
}
