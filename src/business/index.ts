export * from './hours.js';
export * from './profile.js';
export { greetingFor, renderTemplate } from './greeting.js';
