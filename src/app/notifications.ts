import type { Config } from '../config.js';
import type { Metrics } from '../http/metrics.js';
import type { Logger } from '../http/logger.js';
import {
  AlertEscalations,
  buildChannels,
  DeliveryAlarms,
  Notifier,
  OutboxDispatcher,
} from '../notify/index.js';
import type { Db } from '../store/index.js';
import { twilioNotificationChannels, TwilioRestClient } from '../telephony/twilio/index.js';

export interface Notifications {
  /** Twilio's REST client when an account is configured (also moves calls on transfer). */
  readonly rest: TwilioRestClient | undefined;
  readonly dispatcher: OutboxDispatcher;
  readonly escalations: AlertEscalations;
  readonly notifier: Notifier;
  /** The delivery loops, until `signal` aborts (they finish their sends in flight first). */
  run(signal: AbortSignal): Promise<void>[];
}

/**
 * Notifications: written to the outbox with their cause, delivered (or kept local) by the
 * dispatcher under this node's stable id, escalated for emergencies, alarmed when given up.
 */
export function createNotifications(deps: {
  config: Config;
  db: Db;
  log: Logger;
  metrics: Metrics;
  nodeId: string;
}): Notifications {
  const { config, db, log, metrics } = deps;
  const rest =
    config.twilio.accountSid && config.twilio.authToken
      ? new TwilioRestClient({
          accountSid: config.twilio.accountSid,
          authToken: config.twilio.authToken,
          baseUrl: config.twilioRest.baseUrl,
        })
      : undefined;
  const { channels, localKinds } = buildChannels({
    dataDir: config.dataDir,
    delivery: config.notify.delivery,
    telephony:
      rest && config.twilioRest.fromNumber
        ? twilioNotificationChannels({
            client: rest,
            from: config.twilioRest.fromNumber,
            whatsappFrom: config.twilioRest.whatsappFrom,
            publicUrl: config.publicUrl,
          })
        : undefined,
    smtp: config.notify.smtpUrl ? { url: config.notify.smtpUrl, from: config.notify.mailFrom } : undefined,
    mailFrom: config.notify.mailFrom,
  });
  if (config.notify.delivery === 'live' && localKinds.length > 0) {
    log.warn(
      { kinds: localKinds },
      'live delivery: these notification kinds have no provider configured and stay local',
    );
  }
  const dispatcher = new OutboxDispatcher({
    db,
    channels,
    logger: log,
    // Stable across restarts: a restarted node takes back its own in-flight sends at once.
    nodeId: deps.nodeId,
    pollIntervalMs: config.notify.pollIntervalMs,
    onGivenUp: (row, why): Promise<void> => alarms.givenUp(row, why),
  });
  const escalations = new AlertEscalations({ db, logger: log, outbox: dispatcher });
  // An emergency notification given up: error log, metric, alarm on the emergency, next alert call.
  const alarms: DeliveryAlarms = new DeliveryAlarms({
    db,
    escalations,
    logger: log,
    onAlarm: (kind) => metrics.notificationAlarms.inc({ kind }),
  });
  const notifier = new Notifier({ db, outbox: dispatcher, escalations });
  return {
    rest,
    dispatcher,
    escalations,
    notifier,
    run: (signal) => [dispatcher.run(signal), escalations.run(signal)],
  };
}
