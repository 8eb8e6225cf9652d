export * from './hours.js';
export * from './profile.js';
export { greetingFor, renderTemplate, withoutKeypadOffer } from './greeting.js';
export { businessVocabulary, type VocabularySource } from './vocabulary.js';
export { cheapestPlanWith, PLAN_LIMITS, planAllows, type PlanFeature, type PlanLimits } from './plans.js';
export { freeSlots, defaultStep, type SlotQuery } from './availability.js';
export {
  menuPrompt,
  phoneMenuOf,
  phoneMenuSchema,
  type PhoneMenu,
  type PhoneMenuOption,
} from './phone-menu.js';
export {
  PROFILE_SETTINGS_KEYS,
  profileFromStored,
  profileIssues,
  profileSettingsOf,
  type ProfileSettings,
  type ProfileSettingsKey,
  type StoredBusiness,
} from './stored-profile.js';
