/**
 * What customers say on calls a person at the business takes, beyond the receptionist's phrases:
 * complaints, prices, cancellations, moods. For the offline recognizer's open model
 * (SpeechToText.useVocabulary): a word missing from the model cannot be recognised at all, and the
 * receptionist's model has no "refund", "unacceptable" or "expensive". Written from the coach's own
 * phrase tables, in the ordinary frames callers use them in.
 */

const PRICING = [
  'how much does it cost',
  'how much would it cost',
  'how much do you charge',
  'how much is it',
  'how much will that be',
  'what do you charge for that',
  'what are your prices',
  'what are your rates',
  'what is your hourly rate',
  'what is the price',
  'is it expensive',
  'that sounds expensive',
  'that is too expensive',
  'is there a fee',
  'what are the fees',
  'can you give me a quote',
  'can i get an estimate',
  'can you give me a rough estimate',
  'a ballpark figure',
  'i can not afford that',
  'is there a charge for the visit',
  'what is the pricing',
];

const BOOKING = [
  'i would like to book an appointment',
  'can i book a visit',
  'can i schedule an appointment',
  'when can someone come out',
  'can you send someone',
  'can you come out tomorrow morning',
  'do you have any availability',
  'are you available this week',
  'do you have a slot tomorrow afternoon',
  'what is the earliest you can come',
  'what is your next available appointment',
  'can someone come over today',
];

const CANCELLATION = [
  'i need to cancel my appointment',
  'i want to cancel the visit',
  'please cancel my booking',
  'we have to call it off',
  'i do not need the appointment anymore',
  'we do not need the plumber anymore',
  'i no longer need the service',
  'please stop the service',
  'i can not make it',
  'i am not going to make it',
];

const COMPLAINT = [
  'i am not happy',
  'i am not happy with the work',
  'i am very unhappy',
  'this is terrible',
  'the service was awful',
  'that is horrible',
  'i want to make a complaint',
  'i want to complain',
  'it is still broken',
  'it is still leaking',
  'it is still not working',
  'it was never fixed',
  'you did not fix it',
  'your plumber came last week and it is still broken',
  'i want to speak to the manager',
  'can i talk to your supervisor',
  'i want a refund',
  'i want my money back',
  'this is unacceptable',
  'that is ridiculous',
  'what a waste of money',
  'you wasted my time',
  'i am really disappointed',
  'nobody showed up',
  'the technician never showed up',
  'you overcharged me',
  'this is a rip off',
  'i am fed up',
  'this is the worst service',
  'i am frustrated',
  'i am so angry',
  'i am upset',
];

const MOOD = [
  'that is great',
  'perfect thank you',
  'that is very helpful',
  'i appreciate it',
  'thank you so much',
  'that sounds good',
  'i am glad',
  'that is excellent',
  'wonderful',
  'i am worried',
  'i am annoyed',
  'this is frustrating',
];

export const ASSIST_PHRASES: readonly string[] = [
  ...PRICING,
  ...BOOKING,
  ...CANCELLATION,
  ...COMPLAINT,
  ...MOOD,
];
