/** The server's own record of a simulated call (GET /api/calls/:callSid), for the report. */

export interface StoredTurnView {
  speaker: string;
  text: string;
  interrupted: boolean;
  heardText: string | null;
}

interface StoredCall {
  summary?: unknown;
  turns?: StoredTurnView[];
}

/**
 * Polls until the call has its summary (the last thing the server writes) or two seconds pass:
 * the stored call and its turns as the server heard them.
 */
export async function fetchStoredCall(
  base: string,
  apiKey: string,
  callSid: string,
): Promise<{ serverCall?: unknown; transcript?: StoredTurnView[] }> {
  const out: { serverCall?: unknown; transcript?: StoredTurnView[] } = {};
  for (let i = 0; i < 20; i++) {
    const r = await fetch(`${base}/api/calls/${callSid}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (r.ok) {
      out.serverCall = await r.json();
      const call = (out.serverCall as { call?: StoredCall }).call;
      out.transcript = (call?.turns ?? []).map((t) => ({
        speaker: t.speaker,
        text: t.text,
        interrupted: t.interrupted,
        heardText: t.heardText,
      }));
      if (call?.summary) break;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return out;
}
