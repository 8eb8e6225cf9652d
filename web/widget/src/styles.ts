/** The widget's look, inside its shadow root: the host page's CSS cannot reach it, nor it the page. */
export const CSS = `
:host{all:initial}
*{box-sizing:border-box;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;background:#1f5fbf;color:#fff;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.launcher:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
.panel{position:fixed;right:16px;bottom:80px;z-index:2147483001;width:min(370px,calc(100vw - 16px));height:min(560px,calc(100vh - 96px));display:flex;flex-direction:column;background:#fff;color:#1d2733;border:1px solid #c9d1da;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}
.panel[hidden]{display:none}
header{display:flex;align-items:center;justify-content:space-between;padding:10px 12px;background:#1f5fbf;color:#fff}
header h2{margin:0;font-size:16px;font-weight:600;color:#fff}
.close{border:0;background:transparent;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 8px;border-radius:6px}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;margin:0;list-style:none}
.msg{max-width:85%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.agent{align-self:flex-start;background:#eef1f5}
.visitor{align-self:flex-end;background:#1f5fbf;color:#fff}
.note{align-self:center;font-size:13px;color:#5b6673;text-align:center}
.typing{align-self:flex-start;color:#5b6673;font-style:italic}
.chips{display:flex;gap:6px;padding:0 12px 8px;overflow-x:auto;scrollbar-width:thin}
.chips:empty{display:none}
.chip{flex:none;white-space:nowrap;border:1px solid #1f5fbf;background:#fff;color:#1f5fbf;border-radius:16px;padding:4px 10px;font-size:13px;cursor:pointer}
form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e1e6eb}
input{flex:1;min-width:0;padding:9px 10px;border:1px solid #9aa6b2;border-radius:8px;color:#1d2733;background:#fff}
.send{border:0;border-radius:8px;padding:9px 14px;background:#1f5fbf;color:#fff;font-weight:600;cursor:pointer}
.brand{padding:0 12px 8px;font-size:12px;color:#5b6673;text-align:center}
.brand[hidden]{display:none}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.panel{right:8px;left:8px;width:auto;bottom:76px;height:calc(100vh - 92px)}}
`;
