export {
  topicKey,
  type BusEvent,
  type BusHandler,
  type BusTopic,
  type EventBus,
  type Subscription,
} from './event-bus.js';
export { InProcessBus, type InProcessBusOptions } from './in-process-bus.js';
export { busEventSchema } from './event-schema.js';
export { RedisBus, type RedisBusOptions, type RedisBusStats } from './redis-bus.js';
