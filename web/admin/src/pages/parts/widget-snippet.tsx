import { useRef, useState } from 'preact/hooks';
import type { Business } from '../../types';
import { Button, Field } from '../../ui';

/**
 * The chat widget's embed code for this business: one script tag naming it by its public key
 * (the key only names the business, so it may be shown to anyone who manages it), a copy
 * button, and a link to the demo page that shows the widget as a visitor sees it.
 */
export function WidgetSnippet({ business }: { business: Business }) {
  const [copied, setCopied] = useState<'ok' | 'failed' | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const key = business.publicKey;
  if (!key) return <p class="muted">The widget key is not available yet.</p>;
  const origin = window.location.origin;
  const snippet = `<script src="${origin}/widget.js" data-key="${key}" async></script>`;

  async function copy() {
    try {
      await navigator.clipboard.writeText(snippet);
      setCopied('ok');
    } catch {
      // No clipboard (an http page, a denied permission): select it for Ctrl+C instead.
      area.current?.select();
      setCopied('failed');
    }
  }

  return (
    <>
      <p class="muted">
        Paste this tag into any page of your site, just before <code>&lt;/body&gt;</code>: visitors get a chat
        button that talks with your receptionist, and the leads land here.
      </p>
      <Field label="Embed code">
        <textarea ref={area} readOnly rows={3} value={snippet} onFocus={(e) => e.currentTarget.select()} />
      </Field>
      <div class="form-actions">
        <Button onClick={() => void copy()}>Copy embed code</Button>
        <a href={`/demo?key=${encodeURIComponent(key)}`} target="_blank" rel="noopener">
          Try it on the demo page
        </a>
        <span role="status" class="muted">
          {copied === 'ok' ? 'Copied.' : copied === 'failed' ? 'Selected: press Ctrl+C (⌘C) to copy.' : ''}
        </span>
      </div>
    </>
  );
}
