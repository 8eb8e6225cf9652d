export { extractAddress } from './address.js';
export { extractEmail } from './email.js';
export { extractName } from './name.js';
export { extractNeed } from './need.js';
export { extractPhone, formatPhone, lastFour, phoneFromDigits } from './phone.js';
export { extractUrgency, type Urgency } from './urgency.js';
export { readCardinal, spokenDigits } from './numbers.js';
