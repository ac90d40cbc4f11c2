// The widget's and the console's CSS. Colours and fonts come from custom
// properties a site may set on `.seam-widget` / `.seam-console` (or through
// the widget's `data-color`): `--seam-accent`, `--seam-accent-text`,
// `--seam-font`.

export const STYLE = `
.seam-widget,.seam-console{--seam-accent:#2b4c7e;--seam-accent-text:#fff;--seam-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font:14px/1.45 var(--seam-font);color:#1d2330}
.seam-widget [hidden],.seam-console [hidden]{display:none!important}
.seam-widget *,.seam-console *{box-sizing:border-box}
.seam-widget :focus-visible,.seam-console :focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.seam-widget button,.seam-console button{font:inherit;padding:7px 12px;border:0;border-radius:8px;background:var(--seam-accent);color:var(--seam-accent-text);cursor:pointer}
.seam-widget button.secondary,.seam-console button.secondary{background:#e4e8f0;color:#1d2330}
.seam-widget button.seam-danger,.seam-console button.seam-danger{background:#c5221f;color:#fff}
.seam-widget input,.seam-widget textarea,.seam-console input,.seam-console textarea,.seam-console select{font:inherit;font-size:16px;padding:8px;border:1px solid #b9c0cf;border-radius:8px;min-width:0;background:#fff;color:#1d2330}
.seam-panel{background:#fff;border:1px solid #ccd2de;border-radius:12px;box-shadow:0 6px 24px #0003;display:flex;flex-direction:column;overflow:hidden}
.seam-panel>*{flex-shrink:0}
.seam-head{background:var(--seam-accent);color:var(--seam-accent-text);padding:10px 12px;display:flex;justify-content:space-between;align-items:center;gap:8px}
.seam-head h2{font-size:15px;margin:0;color:inherit;text-transform:none;letter-spacing:0}
.seam-icon{display:inline-flex;line-height:0}
.seam-round{position:relative}
.seam-round[aria-pressed=true]::after{content:"";position:absolute;left:8px;right:8px;top:50%;height:2px;background:#c5221f;transform:rotate(-45deg)}
.seam-mode{font-size:12px;opacity:.9;margin-left:8px}
.seam-widget .seam-head button{background:none;color:inherit;font-size:20px;line-height:1;padding:2px 8px}
.seam-log{flex:1 1 auto;overflow-y:auto;padding:12px;min-height:48px;display:flex;flex-direction:column;gap:8px;background:#f7f8fb}
.seam-sys{align-self:center;font-size:12px;color:#4f5766;text-align:center;max-width:90%}
.seam-group{display:flex;gap:8px;align-items:flex-end;max-width:85%}
.seam-group.mine{align-self:flex-end;flex-direction:row-reverse}
.seam-avatar{flex:0 0 28px;height:28px;border-radius:50%;background:#c9d3e6;color:#1d2330;font-size:11px;font-weight:600;display:flex;align-items:center;justify-content:center}
.seam-group.mine .seam-avatar{display:none}
.seam-sender{font-size:11px;color:#4f5766;margin:0 4px 2px}
.seam-group.mine .seam-sender{text-align:right}
.seam-bubbles{display:flex;flex-direction:column;gap:2px;align-items:flex-start}
.seam-group.mine .seam-bubbles{align-items:flex-end}
.seam-bubble{background:#fff;border:1px solid #dfe3ec;border-radius:14px;padding:6px 10px;white-space:pre-wrap;overflow-wrap:anywhere}
.seam-group.mine .seam-bubble{background:var(--seam-accent);color:var(--seam-accent-text);border-color:transparent}
.seam-group.note .seam-bubble,.seam-group.whisper .seam-bubble{background:#fff6d6;border-color:#eed889;color:#1d2330}
.seam-status{padding:4px 12px;color:#4f5766;font-size:12px;min-height:22px}
.seam-row{display:flex;gap:6px;padding:8px 12px;align-items:center;flex-wrap:wrap}
.seam-row input{flex:1}
.seam-tag{margin-left:6px;padding:1px 6px;border-radius:8px;background:rgba(255,255,255,.25);font-size:11px;font-weight:600}
.seam-recommendation{margin-top:10px;padding-top:8px;border-top:1px solid #e4e8f0}
.seam-recommendation p{margin:4px 0;color:#4a5366;font-size:12px}
.seam-quick{display:flex;gap:6px;flex-wrap:wrap;margin:4px 0}
.seam-quick button[aria-pressed=true]{outline:2px solid var(--seam-accent, #2563eb)}
.seam-msg-card{border:1px solid #d0d5dd;border-radius:10px;padding:8px;margin:4px 0;max-width:280px;display:flex;flex-direction:column;gap:4px;background:#fff}
.seam-msg-card img{max-width:100%;border-radius:6px}
.seam-msg-card p{margin:0}
.seam-canned{flex-basis:100%;list-style:none;margin:0;padding:0;display:flex;gap:6px;flex-wrap:wrap}
.seam-prompt{background:#fff6d6;padding:8px 12px;display:flex;gap:8px;align-items:center;flex-wrap:wrap;justify-content:space-between}
.seam-prompt-actions{display:flex;gap:6px}
.seam-call{background:#14171d;color:#fff;display:flex;flex-direction:column}
.seam-stage{position:relative;background:#000;height:min(34vh,260px)}
.seam-call[data-mode=voice] .seam-stage,.seam-call[data-mode=ringing] .seam-stage{height:0;overflow:hidden}
.seam-stage video:not(.seam-self){width:100%;height:100%;object-fit:cover;display:block}
.seam-self{position:absolute;right:8px;bottom:8px;width:28%;max-width:120px;border-radius:6px;border:2px solid #fff;background:#222}
.seam-call-bar{display:flex;align-items:center;justify-content:space-between;padding:6px 10px;gap:8px}
.seam-call-state{font-size:13px}
.seam-call-controls{display:flex;gap:8px}
.seam-widget button.seam-round,.seam-console button.seam-round{width:38px;height:38px;padding:0;border-radius:50%;background:#3a3f4b;color:#fff}
.seam-widget button.seam-round[aria-pressed=true],.seam-console button.seam-round[aria-pressed=true]{background:#fff;color:#14171d}
.seam-widget button.seam-round.seam-danger,.seam-console button.seam-round.seam-danger{background:#c5221f}
.seam-rating{display:flex;gap:6px;align-items:center;padding:8px 12px;background:#eef3ff;flex-wrap:wrap}
.seam-widget{position:fixed;right:16px;bottom:16px;z-index:2147483000}
.seam-widget[data-position=left]{right:auto;left:16px}
.seam-widget .seam-panel{width:370px;height:min(600px,calc(100vh - 32px));max-width:calc(100vw - 32px)}
.seam-widget:not(.seam-open) .seam-panel{display:none}
.seam-widget.seam-open .seam-launcher{display:none}
.seam-widget button.seam-launcher{width:58px;height:58px;border-radius:50%;padding:0;font-size:26px;box-shadow:0 4px 14px #0004;position:relative}
.seam-badge{position:absolute;top:-4px;right:-4px;background:#c5221f;color:#fff;border-radius:10px;min-width:20px;height:20px;padding:0 5px;font-size:12px;line-height:20px;font-weight:600}
@media (max-width:480px){.seam-widget.seam-open{inset:0}.seam-widget.seam-open .seam-panel{width:100vw;height:100vh;height:100dvh;max-width:none;border-radius:0;border:0}}
.seam-console{display:grid;grid-template-columns:minmax(190px,240px) minmax(0,1fr) minmax(190px,260px);height:100vh;background:#eef0f5}
.seam-col{display:flex;flex-direction:column;min-height:0;min-width:0;background:#fff;border-right:1px solid #dde1ea}
.seam-col>*{flex-shrink:0}
.seam-col h2,.seam-col h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#4f5766;margin:12px 12px 6px}
.seam-scroll{overflow-y:auto;flex:1 1 auto;min-height:0}
.seam-empty{color:#4f5766;font-size:13px;padding:8px 12px}
.seam-offer{margin:6px 8px;padding:8px;border:1px solid #b7c8ee;background:#eef3ff;border-radius:10px;display:flex;flex-direction:column;gap:4px}
.seam-offer blockquote{margin:0;padding:4px 8px;border-left:3px solid var(--seam-accent);background:#fff;border-radius:4px;overflow-wrap:anywhere}
.seam-offer-meta{font-size:12px;color:#3d4452}
.seam-offer-actions{display:flex;gap:6px}
.seam-inbox-item{display:flex;width:calc(100% - 16px);margin:2px 8px;text-align:left;align-items:center;gap:8px}
.seam-console button.seam-inbox-item{background:#f4f6fa;color:#1d2330}
.seam-console button.seam-inbox-item[aria-current=true]{background:#dfe7f7;box-shadow:inset 3px 0 0 var(--seam-accent)}
.seam-inbox-item span:first-child{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.seam-offline{display:flex;flex-direction:column;gap:6px;padding:10px;background:#fff;border:1px solid #dfe3ec;border-radius:10px}
.seam-offline p{margin:0}
.seam-offline textarea,.seam-offline input{font:inherit;padding:6px 8px;border:1px solid #c4cad6;border-radius:8px}
.seam-file{display:flex;flex-direction:column;gap:4px;align-items:flex-start}
.seam-file img{max-width:160px;max-height:160px;border-radius:8px;cursor:pointer}
.seam-file-open{background:none;border:0;padding:0;color:inherit;text-decoration:underline;cursor:pointer;font:inherit;text-align:left}
.seam-edited{font-size:11px}
.seam-deleted .seam-text{font-style:italic}
.seam-revise-row{display:inline-flex;gap:6px;margin-left:8px}
.seam-revise{background:none;border:0;padding:0;color:inherit;text-decoration:underline;cursor:pointer;font:inherit;font-size:11px}
.seam-dashboard{--seam-accent:#2b4c7e;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;padding:16px;display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(380px,1fr))}
.seam-dashboard header{grid-column:1/-1;display:flex;justify-content:space-between;align-items:baseline}
.seam-dashboard section{background:#fff;border:1px solid #dde1ea;border-radius:10px;padding:12px;overflow-x:auto}
.seam-dashboard section:first-of-type{grid-column:1/-1}
.seam-dashboard h1{margin:0;font-size:20px}.seam-dashboard h2{margin:0 0 8px;font-size:15px}
.seam-dashboard table{border-collapse:collapse;width:100%}.seam-dashboard th,.seam-dashboard td{text-align:left;padding:4px 6px;border-bottom:1px solid #eef0f5}
.seam-dashboard svg text{font-size:11px;fill:#1d2330}
.seam-tick{margin-left:6px;font-size:11px;letter-spacing:-2px;padding:0 4px 0 2px;border-radius:6px}
.seam-tick[data-status=read]{background:#fff;color:#1a5fc8;font-weight:700}
.seam-unread{background:#c5221f;color:#fff;border-radius:10px;min-width:20px;padding:0 6px;font-size:12px;text-align:center}
.seam-main{border-right:1px solid #dde1ea}
.seam-console .seam-main .seam-head h2{font-size:15px;margin:0;color:inherit;text-transform:none;letter-spacing:0}
.seam-actions{display:flex;gap:6px;flex-wrap:wrap}
.seam-console .seam-head button{padding:5px 10px}
.seam-dialog{background:#fff;border-top:1px solid #dde1ea;padding:10px 12px;display:flex;flex-direction:column;gap:8px;box-shadow:0 -4px 12px #0001}
.seam-dialog fieldset{border:0;padding:0;margin:0;display:flex;flex-direction:column;gap:4px;max-height:30vh;overflow-y:auto}
.seam-dialog legend{font-weight:600;margin-bottom:4px}
.seam-card{margin:0 12px 8px;padding:10px;border:1px solid #dde1ea;border-radius:10px;background:#f7f8fb}
.seam-card dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:4px 10px}
.seam-card dt{color:#4f5766;font-size:12px}
.seam-card dd{margin:0;overflow-wrap:anywhere}
.seam-card .seam-avatar{width:40px;height:40px;flex-basis:40px;font-size:14px}
.seam-notes{display:flex;flex-direction:column;gap:6px;padding:0 12px 12px}
@media (max-width:720px){.seam-console{grid-template-columns:1fr;height:auto}.seam-col{border-right:0;border-bottom:1px solid #dde1ea}.seam-main{height:100vh}}
`;
