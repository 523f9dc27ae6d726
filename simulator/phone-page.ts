/**
 * The customer's phone: one self-contained page (inline CSS and JS, no external resources) where
 * a person plays the customer — writes to a business number, optionally "arriving from an ad",
 * taps quick replies, sends a photo, and sees everything the business sent. It talks only to the
 * simulator's control API. Messages from the app are rendered with textContent, never as HTML.
 */
export const PHONE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Customer phone · WhatsApp Cloud API simulator</title>
<style>
  :root { --green:#008069; --bubble-out:#d9fdd3; --bg:#efeae2; --muted:#667781; --blue:#53bdeb; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:#d1d7db; color:#111b21; }
  .phone { max-width: 480px; height: 100vh; margin: 0 auto; display:flex; flex-direction:column; background: var(--bg); box-shadow: 0 0 24px rgba(0,0,0,.15); }
  header { background: var(--green); color:#fff; padding:10px 12px; }
  header h1 { font-size: 16px; margin: 0 0 6px; font-weight:600; }
  header .row { display:flex; gap:8px; flex-wrap:wrap; }
  header label { display:flex; flex-direction:column; font-size:11px; opacity:.95; flex:1 1 120px; }
  header input, header select { font: inherit; font-size:14px; padding:4px 6px; border-radius:6px; border:0; margin-top:2px; color:#111b21; }
  main { flex:1; overflow-y:auto; padding: 12px 10px; display:flex; flex-direction:column; gap:6px; }
  .empty { text-align:center; color: var(--muted); font-size: 13px; margin-top: 24px; }
  .msg { max-width: 82%; padding:6px 8px 4px; border-radius: 8px; box-shadow: 0 1px .5px rgba(0,0,0,.13); background:#fff; position:relative; word-wrap: break-word; white-space: pre-wrap; }
  .msg.in { align-self:flex-end; background: var(--bubble-out); }
  .msg.out { align-self:flex-start; }
  .msg .meta { font-size: 11px; color: var(--muted); text-align:right; margin-top:2px; white-space: nowrap; }
  .msg .ticks.read { color: var(--blue); }
  .msg .hdr { font-weight:600; margin-bottom:4px; }
  .msg .ftr { font-size: 13px; color: var(--muted); margin-top:4px; }
  .msg .tag { font-size: 11px; color: var(--green); font-weight:600; margin-bottom:2px; }
  .msg .ctx { font-size: 12px; color: var(--muted); border-left: 3px solid var(--green); padding-left:6px; margin-bottom:4px; }
  .msg img { max-width: 220px; border-radius: 6px; display:block; }
  .msg .btns { display:flex; flex-direction:column; gap:4px; margin-top:6px; }
  .msg .btns button, .msg .btns a { font: inherit; font-size: 14px; color: #027eb5; background:#fff; border:1px solid #e9edef; border-radius:6px; padding:6px; cursor:pointer; text-align:center; text-decoration:none; }
  .msg .btns button:hover { background:#f5f6f6; }
  .msg.failed { outline: 2px solid #f15c6d; }
  [role=alert] { background:#fff3cd; color:#664d03; font-size:13px; padding:6px 10px; display:none; }
  [role=alert].show { display:block; }
  form.compose { display:flex; flex-direction:column; gap:6px; padding:8px; background:#f0f2f5; }
  form.compose .line { display:flex; gap:6px; align-items:center; }
  form.compose input[type=text] { flex:1; font: inherit; padding:9px 12px; border-radius: 20px; border: 1px solid #d1d7db; }
  form.compose button { font: inherit; border:0; border-radius: 20px; padding: 9px 14px; background: var(--green); color:#fff; cursor:pointer; }
  form.compose button.secondary { background:#fff; color: var(--green); border:1px solid #d1d7db; }
  form.compose .ad { font-size: 13px; color:#3b4a54; display:flex; align-items:center; gap:6px; }
  .sr-only { position:absolute; width:1px; height:1px; padding:0; margin:-1px; overflow:hidden; clip:rect(0,0,0,0); border:0; }
</style>
</head>
<body>
<div class="phone">
  <header>
    <h1>Customer phone <small style="font-weight:400;opacity:.8">(Cloud API simulator)</small></h1>
    <div class="row">
      <label for="business">Business number<select id="business"></select></label>
      <label for="wa">Customer number<input id="wa" type="tel" inputmode="tel" autocomplete="off" value="5511990000001"></label>
      <label for="name">Customer name<input id="name" type="text" autocomplete="off" value="Ana Souza"></label>
    </div>
  </header>
  <main id="log" role="log" aria-label="Conversation" aria-live="polite"><p class="empty">No messages yet. Say hello to the business.</p></main>
  <div id="alert" role="alert"></div>
  <form class="compose" id="compose">
    <label class="ad"><input type="checkbox" id="ad"> Arriving from an ad</label>
    <div class="line">
      <label for="msg" class="sr-only">Message</label>
      <input id="msg" type="text" placeholder="Type a message" autocomplete="off">
      <button type="button" class="secondary" id="photo" aria-label="Attach photo" title="Send a photo (a generated PNG)">Photo</button>
      <button type="submit" id="send">Send</button>
    </div>
  </form>
</div>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  if (params.get("wa_id")) $("wa").value = params.get("wa_id");
  if (params.get("name")) $("name").value = params.get("name");
  let config = { autoRead: true };
  let lastJson = "";

  const digits = (s) => String(s || "").replace(/\\D/g, "");
  const wa = () => digits($("wa").value);
  const business = () => $("business").value;

  function alertMsg(text) {
    const el = $("alert");
    el.textContent = text || "";
    el.classList.toggle("show", Boolean(text));
  }

  async function api(path, body) {
    const res = await fetch(path, body === undefined ? {} : {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || ("HTTP " + res.status));
    return data;
  }

  async function loadNumbers() {
    const state = await api("/_sim/state");
    config = state.config;
    const sel = $("business");
    sel.textContent = "";
    for (const n of state.numbers.filter((n) => !n.learned)) {
      const o = document.createElement("option");
      o.value = n.phoneNumberId;
      o.textContent = n.verifiedName + " · +" + n.displayPhoneNumber;
      sel.appendChild(o);
    }
    if (params.get("phone_number_id")) sel.value = params.get("phone_number_id");
  }

  function reportWebhook(status) {
    if (status >= 200 && status < 300) { alertMsg(""); return; }
    alertMsg(status === 0
      ? "Could not reach the app's webhook. Meta would retry; so does the simulator."
      : "The app answered HTTP " + status + " to the webhook. Meta would retry; so does the simulator.");
  }

  async function sendInbound(extra) {
    if (!wa()) { alertMsg("Enter the customer number first."); return; }
    try {
      const out = await api("/_sim/inbound", Object.assign({
        from: wa(), name: $("name").value.trim() || undefined, phone_number_id: business() || undefined,
      }, extra));
      reportWebhook(out.status);
      await refresh();
    } catch (e) { alertMsg(e.message); }
  }

  $("compose").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("msg").value.trim();
    if (!text) { $("msg").focus(); return; }
    const ad = $("ad").checked;
    $("msg").value = "";
    // Only the message that starts from the ad carries the referral.
    $("ad").checked = false;
    await sendInbound({ type: "text", text, referral: ad });
    $("msg").focus();
  });

  $("photo").addEventListener("click", async () => {
    const caption = $("msg").value.trim();
    const ad = $("ad").checked;
    $("msg").value = "";
    $("ad").checked = false;
    await sendInbound({ type: "image", caption: caption || undefined, referral: ad });
  });

  function time(ms) {
    const d = new Date(ms);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function render(items) {
    const log = $("log");
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.textContent = "";
    if (items.length === 0) log.appendChild(el("p", "empty", "No messages yet. Say hello to the business."));
    for (const it of items) {
      const b = el("div", "msg " + it.direction + (it.status === "failed" ? " failed" : ""));
      b.dataset.wamid = it.wamid;
      b.setAttribute("aria-label", (it.direction === "in" ? "You" : "Business") + ": " + (it.text || it.type));
      if (it.referral) b.appendChild(el("div", "tag", "From an ad"));
      if (it.template) b.appendChild(el("div", "tag", "Template · " + it.template.name));
      if (it.contextId) b.appendChild(el("div", "ctx", "Replying to a message"));
      if (it.template && it.template.header) b.appendChild(el("div", "hdr", it.template.header));
      if (it.media && it.media.url) {
        if (!it.media.mimeType || it.media.mimeType.startsWith("image/")) {
          const img = el("img");
          img.src = it.media.url; img.alt = it.media.caption || "Photo";
          b.appendChild(img);
        } else {
          const a = el("a", "", it.media.filename || "Attachment"); a.href = it.media.url; a.target = "_blank";
          b.appendChild(a);
        }
      }
      if (it.text) b.appendChild(el("div", "body", it.text));
      else if (!it.media) b.appendChild(el("div", "body", "[" + it.type + "]"));
      if (it.template && it.template.footer) b.appendChild(el("div", "ftr", it.template.footer));
      if (it.buttons && it.buttons.length) {
        const box = el("div", "btns");
        for (const btn of it.buttons) {
          if (btn.kind === "url") {
            const a = el("a", "", btn.title); a.href = btn.url; a.target = "_blank"; a.rel = "noreferrer";
            box.appendChild(a);
            continue;
          }
          const x = el("button", "", btn.title);
          x.type = "button";
          x.addEventListener("click", () => {
            if (btn.kind === "quick_reply") {
              void sendInbound({ type: "button", button: { text: btn.title, payload: btn.id }, context_id: it.wamid });
            } else {
              void sendInbound({
                type: "interactive", context_id: it.wamid,
                interactive: { type: btn.kind === "list_row" ? "list_reply" : "button_reply", id: btn.id, title: btn.title },
              });
            }
          });
          box.appendChild(x);
        }
        b.appendChild(box);
      }
      const meta = el("div", "meta", time(it.at));
      if (it.direction === "in") {
        const ticks = el("span", "ticks" + (it.readByBusiness ? " read" : ""), it.status === "webhook_failed" ? " ⚠" : it.readByBusiness ? " ✓✓" : " ✓");
        ticks.title = it.status === "webhook_failed" ? "The app has not accepted this webhook yet" : it.readByBusiness ? "Read by the business" : "Delivered to the app";
        meta.appendChild(ticks);
      } else if (it.status === "failed") {
        meta.appendChild(el("span", "", " · not delivered"));
      }
      b.appendChild(meta);
      log.appendChild(b);
    }
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  let busy = false;
  async function refresh() {
    if (busy || !wa()) return;
    busy = true;
    try {
      const q = new URLSearchParams({ wa_id: wa() });
      if (business()) q.set("phone_number_id", business());
      const data = await api("/_sim/conversation?" + q.toString());
      const json = JSON.stringify(data.items);
      if (json !== lastJson) { lastJson = json; render(data.items); }
      // With autoRead off, the customer reads what is on screen while the page is visible.
      if (!config.autoRead && document.visibilityState === "visible" &&
          data.items.some((i) => i.direction === "out" && i.status === "delivered")) {
        await api("/_sim/read", { wa_id: wa(), phone_number_id: business() || undefined });
      }
    } catch (e) { alertMsg("Simulator unreachable: " + e.message); }
    finally { busy = false; }
  }

  for (const id of ["wa", "business"]) $(id).addEventListener("change", () => { lastJson = ""; void refresh(); });
  loadNumbers().then(refresh).catch((e) => alertMsg(e.message));
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
`;
