import type { AssistTestCall, CallLine } from './call-types.js';
import { agent, customer, pause } from './call-types.js';

/**
 * HELD OUT: never shown to, nor tuned on by, the coach's author (src/assist/coach). These calls say
 * what the tuning calls say (tuning-calls.ts) in other words, with other greetings and replies, so
 * the benchmark shows how the coach does on wording it was not built around. Do not copy phrasings
 * from here into the coach or its tests; if a call here is wrong, fix the call, not the coach.
 */
const GREETINGS = [
  'Thanks for calling Acme Plumbing, you are speaking with Alex.',
  'Acme Plumbing, hello. Calls are recorded for quality. What can we do for you?',
  'Hi there, Acme Plumbing, Jordan here.',
];

function call(
  id: string,
  intents: AssistTestCall['intents'],
  customerLines: readonly string[],
  agentReplies: readonly string[],
  greeting = 0,
): AssistTestCall {
  const lines: CallLine[] = [agent(GREETINGS[greeting % GREETINGS.length]!), pause(500)];
  customerLines.forEach((text, i) => {
    lines.push(customer(text), pause(800));
    const reply = agentReplies[i];
    if (reply) lines.push(agent(reply), pause(300));
  });
  return { id: `held-${id}`, split: 'heldout', intents, lines };
}

export const HELDOUT_CALLS: readonly AssistTestCall[] = [
  // ---- pricing ----
  call(
    'pricing-1',
    ['pricing'],
    ['Hey, what would it run me to get my shower drain unclogged?'],
    ['Let me pull that up.'],
    0,
  ),
  call('pricing-2', ['pricing'], ['Is a leak repair expensive?'], ['It depends on the leak.'], 1),
  call(
    'pricing-3',
    ['pricing'],
    ['What are your rates for replacing a water heater?'],
    ['One second please.'],
    2,
  ),
  call(
    'pricing-4',
    ['pricing'],
    ['Before you send anyone, I need to know the cost.'],
    ['Understood, for which job?'],
    0,
  ),
  call(
    'pricing-5',
    ['pricing'],
    ['Is there a fee just for coming out to look at it?'],
    ['Good question.'],
    1,
  ),

  // ---- booking ----
  call(
    'booking-1',
    ['booking'],
    ['When is your next available slot for a plumber?'],
    ['Let me look at the board.'],
    2,
  ),
  call(
    'booking-2',
    ['booking'],
    ['Could I set up a visit for Monday afternoon?'],
    ['Sure, what is the address?'],
    0,
  ),
  call(
    'booking-3',
    ['booking'],
    ['My toilet keeps running. Can you send somebody over this week?'],
    ['We should be able to.'],
    1,
  ),
  call(
    'booking-4',
    ['booking'],
    ['I would like to make an appointment to have my faucet fixed.'],
    ['Happy to help.'],
    2,
  ),
  call(
    'booking-5',
    ['booking'],
    ['Are you free on Saturday morning to come and take a look?'],
    ['Let me check.'],
    0,
  ),

  // ---- cancellation ----
  call(
    'cancellation-1',
    ['cancellation'],
    ['I have to call off the visit you had planned for Wednesday.'],
    ['Okay, can I get your name?'],
    1,
  ),
  call(
    'cancellation-2',
    ['cancellation'],
    ['We sold the house, so please cancel the job.'],
    ['Understood.'],
    2,
  ),
  call(
    'cancellation-3',
    ['cancellation'],
    ['There is no need to come tomorrow anymore, I want to cancel.'],
    ['All right.'],
    0,
  ),
  call(
    'cancellation-4',
    ['cancellation'],
    ['I am calling to cancel the booking I made yesterday.'],
    ['Let me find it for you.'],
    1,
  ),
  call(
    'cancellation-5',
    ['cancellation'],
    ['Please stop the service, we found another plumber.'],
    ['Sorry to hear that.'],
    2,
  ),

  // ---- complaint ----
  call(
    'complaint-1',
    ['complaint'],
    ['Honestly the work was a waste of money, the sink still drips.'],
    ['I am really sorry.'],
    0,
  ),
  call(
    'complaint-2',
    ['complaint'],
    ['Your technician left a mess and I am very unhappy about it.'],
    ['That should not have happened.'],
    1,
  ),
  call(
    'complaint-3',
    ['complaint'],
    ['I am calling to complain, nobody showed up yesterday.'],
    ['I apologise.'],
    2,
  ),
  call(
    'complaint-4',
    ['complaint'],
    ['This is the worst service I have ever had.'],
    ['I hear you, let me help.'],
    0,
  ),
  call(
    'complaint-5',
    ['complaint'],
    ['You fixed the heater two days ago and it is broken again, that is not acceptable.'],
    ['I am sorry about that.'],
    1,
  ),

  // ---- emergency ----
  call(
    'emergency-1',
    ['emergency'],
    ['Help, there is water gushing out from under my sink and I cannot stop it.'],
    ['Find the shut off valve under the sink.'],
    2,
  ),
  call(
    'emergency-2',
    ['emergency'],
    ['The pipes froze and one of them just split open.'],
    ['We will get someone to you.'],
    0,
  ),
  call(
    'emergency-3',
    ['emergency'],
    ['There is a strong gas smell coming from the boiler room.'],
    ['Get everyone out now.'],
    1,
  ),
  call(
    'emergency-4',
    ['emergency'],
    ['My whole downstairs is under water, it is an emergency.'],
    ['Okay, where are you located?'],
    2,
  ),
  call(
    'emergency-5',
    ['emergency'],
    ['The toilet overflowed and sewage is all over the floor.'],
    ['We have someone on call.'],
    0,
  ),

  // ---- small talk: no intent card expected ----
  call(
    'smalltalk-1',
    [],
    ['Hi there, I think I dialed the wrong number.', 'Oh, no worries then, bye.'],
    ['That is okay.', 'Take care.'],
    1,
  ),
  call(
    'smalltalk-2',
    [],
    ['Hey, it is Linda from next door, is Tom around?', 'Okay, I will try him later.'],
    ['He is out on a job right now.', 'Sounds good.'],
    2,
  ),
  call(
    'smalltalk-3',
    [],
    ['Just wanted to say thanks, the guys did a great job yesterday.'],
    ['That is so nice to hear, thank you.'],
    0,
  ),
  call('smalltalk-4', [], ['Hello? Can you hear me okay?'], ['Yes, I can hear you fine.'], 1),
];
