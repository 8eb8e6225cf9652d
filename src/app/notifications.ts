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
import type { JobQueue } from '../jobs/index.js';
import type { Db } from '../store/index.js';
import { twilioNotificationChannels, TwilioRestClient } from '../telephony/twilio/index.js';

export interface Notifications {
  /** Twilio's REST client when an account is configured (also moves calls on transfer). */
  readonly rest: TwilioRestClient | undefined;
  readonly dispatcher: OutboxDispatcher;
  readonly escalations: AlertEscalations;
  readonly notifier: Notifier;
  /**
   * The delivery loops, until `signal` aborts (they finish their sends in flight first). A node
   * that runs no jobs (JOB_CONCURRENCY=0 on a shared Redis) sends nothing: it only announces.
   */
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
  /**
   * The jobs shared by the nodes (a 'redis' queue): each wake announces the due rows as 'notify'
   * jobs, so whichever node is free claims each row. An in-process queue adds nothing to the
   * dispatcher's own wake, so it is not used for this.
   */
  jobs?: Pick<JobQueue, 'kind' | 'add'> | undefined;
}): Notifications {
  const { config, db, log, metrics } = deps;
  const jobs = deps.jobs?.kind === 'redis' ? deps.jobs : undefined;
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
    ...(jobs ? { onWake: () => announce() } : {}),
  });
  const announce = jobs ? announcer(dispatcher, jobs, log) : () => {};
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
    run: (signal) =>
      jobs && config.production.jobConcurrency <= 0
        ? [escalations.run(signal)]
        : [dispatcher.run(signal), escalations.run(signal)],
  };
}

/**
 * Announces the due rows as 'notify' jobs, one query at a time however often it is woken (a wake
 * during a query asks for one more). A job's id names the row and its attempt, so a row is
 * announced once per attempt however many wakes see it. Failures are logged: the dispatchers'
 * poll on the nodes that run jobs still finds every due row.
 */
export function announcer(
  dispatcher: Pick<OutboxDispatcher, 'dueRows'>,
  jobs: Pick<JobQueue, 'add'>,
  log: { warn(obj: object, msg?: string): void },
): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    try {
      do {
        again = false;
        for (const row of await dispatcher.dueRows())
          await jobs.add('notify', { outboxId: row.id }, { jobId: `notify-${row.id}-${row.attempts}` });
      } while (again);
    } catch (err) {
      log.warn({ reason: (err as Error).message.slice(0, 160) }, 'outbox: due rows not announced as jobs');
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}
