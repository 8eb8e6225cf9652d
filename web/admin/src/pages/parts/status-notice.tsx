import { Notice } from '../../ui';

/** What a settings form says after a save or a refusal: a sentence, and the server's details. */
export interface FormStatus {
  kind: 'ok' | 'error' | 'info';
  text: string;
  more?: string[];
}

export function StatusNotice({ status }: { status: FormStatus | null }) {
  if (!status) return null;
  return (
    <Notice kind={status.kind}>
      {status.text}
      {status.more && status.more.length > 0 ? (
        <ul class="notice-list">
          {status.more.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      ) : null}
    </Notice>
  );
}
