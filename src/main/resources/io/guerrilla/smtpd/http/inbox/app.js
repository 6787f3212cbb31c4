// The inbox page: the session and address through the Guerrilla Mail API (/ajax.php), messages and
// live updates through the REST API (/api/v1). Mail text only ever goes into the page as text
// (textContent); its HTML only into the sandboxed frame, served by the server as its own document.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  /** Characters of a text part or source shown before "Show all": a long body must not freeze the page. */
  const PREVIEW_CHARS = 100000;
  /** Messages per page of the list. */
  const PAGE = 20;
  /** Ids per del_email call: the server's limit. */
  const DELETE_BATCH = 100;
  /** Milliseconds between quiet refreshes: keeps the session alive (it idles out after 18 min) and catches up if the stream broke. */
  const REFRESH_MS = 60000;

  let info = null;
  let sid = '';
  let address = '';
  let timestamp = 0;
  let messages = [];
  let hasOlder = false;
  let newest = 0;
  let events = null;
  let current = null;

  const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#039': "'" };
  /** The Guerrilla Mail API sends subjects and excerpts HTML-escaped; the page shows them as text. */
  const unescape = (s) => String(s ?? '').replace(/&(amp|lt|gt|quot|#039);/g, (m, e) => ENTITIES[e]);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function status(text) {
    $('status').textContent = text;
  }

  async function gm(f, params = {}, post = false) {
    const q = new URLSearchParams({ f });
    for (const [k, v] of Object.entries(params)) {
      for (const one of [].concat(v)) q.append(k, one);
    }
    if (sid) q.set('sid_token', sid);
    const r = post ? await fetch('/ajax.php', { method: 'POST', body: q })
      : await fetch('/ajax.php?' + q);
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || 'HTTP ' + r.status);
    if (body && typeof body === 'object' && body.sid_token) sid = body.sid_token;
    return body;
  }

  async function rest(path, asText = false) {
    const r = await fetch(path);
    if (!r.ok) {
      let msg = 'HTTP ' + r.status;
      try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return asText ? r.text() : r.json();
  }

  const mailboxPath = () => '/api/v1/mailboxes/' + encodeURIComponent(address);

  // ---- address and lifetime ----

  function showAddress(body, note) {
    address = body.email_addr || body.email;
    timestamp = Number(body.email_timestamp ?? body.ts ?? timestamp);
    $('address').value = address;
    const domain = address.slice(address.lastIndexOf('@') + 1);
    if (info && info.domains.includes(domain)) $('choose-domain').value = domain;
    renderLifetime();
    renderSwaks();
    closeMessage();
    messages = [];
    newest = 0;
    hasOlder = false;
    renderList();
    if (note) status(note);
    return loadList();
  }

  function renderLifetime() {
    if (!info) return;
    const left = timestamp + info.address_minutes * 60 - Date.now() / 1000;
    const minutes = Math.ceil(left / 60);
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    $('lifetime').textContent = left <= 0 ? 'Expired: mail may still arrive, but get a new address for anything new.'
      : 'Expires in ' + [h ? h + ' h' : '', m ? m + ' min' : ''].filter(Boolean).join(' ') + '.';
  }

  function renderSwaks() {
    const host = info && info.smtp_host ? info.smtp_host : location.hostname;
    const port = info && info.smtp_port ? info.smtp_port : 25;
    const h = host.includes(':') ? '[' + host + ']' : host;
    $('swaks').textContent = 'swaks --to ' + address + ' --server ' + h + ' --port ' + port
      + " --header 'Subject: Hello' --body 'It works.'";
  }

  async function copy(text, what, source) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      // Outside a secure context (plain HTTP to a name other than localhost) there is no clipboard API.
      getSelection().selectAllChildren(source);
      if (source.select) source.select();
      document.execCommand('copy');
    }
    status(what + ' copied.');
  }

  /** A reply for another address than shown: the session expired and the server gave a new one. */
  function moved(body) {
    if (body.email && body.email !== address) {
      showAddress(body, 'Your session had expired, so this is a new address.');
      return true;
    }
    return false;
  }

  // ---- the list ----

  const item = (m) => ({
    id: Number(m.mail_id), from: unescape(m.mail_from), subject: unescape(m.mail_subject),
    excerpt: unescape(m.mail_excerpt), ts: Number(m.mail_timestamp), read: m.mail_read === '1', att: m.att === '1',
  });

  function age(ts) {
    const s = Math.max(0, Date.now() / 1000 - ts);
    if (s < 60) return 'just now';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) return Math.floor(s / 3600) + ' h';
    return new Date(ts * 1000).toLocaleDateString();
  }

  function clip() {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('class', 'att');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'has attachments');
    const p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    p.setAttribute('d', 'M21 11.5l-8.6 8.6a5.5 5.5 0 01-7.8-7.8l8.6-8.6a3.7 3.7 0 015.2 5.2l-8.6 8.6a1.8 1.8 0 01-2.6-2.6l8-8');
    svg.append(p);
    return svg;
  }

  function row(m) {
    const li = el('li');
    const b = el('button', 'item' + (m.read ? '' : ' unread'));
    b.type = 'button';
    b.dataset.id = String(m.id);
    b.setAttribute('aria-current', String(current === m.id));
    const time = el('time', 'age', age(m.ts));
    time.dateTime = new Date(m.ts * 1000).toISOString();
    time.dataset.ts = String(m.ts);
    const subject = el('span', 'subject');
    if (m.att) subject.append(clip());
    subject.append(m.subject || '(no subject)');
    b.append(el('span', 'from', m.from), time, subject, el('span', 'excerpt', m.excerpt));
    b.addEventListener('click', () => openMessage(m.id).catch((e) => status('Could not open the message: ' + e.message)));
    li.append(b);
    return li;
  }

  function renderList() {
    $('list').replaceChildren(...messages.map(row));
    $('empty').hidden = messages.length > 0;
    $('older').hidden = !hasOlder;
  }

  async function loadList() {
    const body = await gm('check_email', { seq: 0 });
    if (moved(body)) return;
    messages = body.list.map(item);
    hasOlder = Number(body.count) > messages.length;
    newest = messages.length ? messages[0].id : 0;
    renderList();
    listen();
  }

  async function loadOlder() {
    const oldest = messages[messages.length - 1].id;
    const body = await gm('get_older_list', { seq: oldest, limit: PAGE });
    if (moved(body)) return;
    const more = body.list.map(item);
    messages = messages.concat(more);
    hasOlder = Number(body.count) > more.length;
    renderList();
  }

  let refreshing = false;
  let again = false;
  /** New mail since the newest shown: on each stream event, and now and then in case the stream broke. */
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      do {
        again = false;
        const body = await gm('check_email', { seq: newest });
        if (moved(body)) return;
        if (Number(body.count) > body.list.length) { await loadList(); continue; }
        const fresh = body.list.map(item).filter((m) => !messages.some((x) => x.id === m.id));
        if (fresh.length) {
          messages = fresh.concat(messages);
          newest = Math.max(newest, fresh[0].id);
          renderList();
          status('New mail from ' + fresh[0].from + '.');
        }
      } while (again);
    } finally {
      refreshing = false;
    }
  }

  /** The mailbox's event stream, from the newest message shown: the browser reconnects by itself. */
  function listen() {
    if (events) events.close();
    events = new EventSource(mailboxPath() + '/events?last_event_id=' + newest);
    events.onmessage = () => refresh().catch((e) => status('Could not load new mail: ' + e.message));
  }

  // ---- one message ----

  function header(m, name) {
    const h = (m.headers || []).find((x) => x.name.toLowerCase() === name);
    return h ? h.value : '';
  }

  function size(n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1024 / 1024).toFixed(1) + ' MiB';
  }

  /** Long text shown in part, with a button for the rest. */
  function longText(pre, more, note, all, text, cutByServer) {
    const cut = text.length > PREVIEW_CHARS;
    pre.textContent = cut ? text.slice(0, PREVIEW_CHARS) : text;
    more.hidden = !cut && !cutByServer;
    all.hidden = !cut;
    note.textContent = cut ? 'Showing ' + PREVIEW_CHARS.toLocaleString() + ' of ' + text.length.toLocaleString()
      + ' characters. ' : 'The text is longer than the server shows here; download the .eml for all of it. ';
    all.onclick = () => {
      pre.textContent = text;
      all.hidden = true;
      note.textContent = cutByServer ? 'The text is longer than the server shows here; download the .eml for all of it. '
        : 'Showing all ' + text.length.toLocaleString() + ' characters.';
    };
  }

  async function openMessage(id) {
    const m = await rest(mailboxPath() + '/messages/' + id);
    current = id;
    document.body.classList.add('reading');
    for (const b of $('list').querySelectorAll('.item')) b.setAttribute('aria-current', String(b.dataset.id === String(id)));
    $('message-pane').hidden = false;
    $('m-subject').textContent = m.subject || '(no subject)';
    $('m-from').textContent = header(m, 'from') || m.from;
    $('m-to').textContent = header(m, 'to') || m.to;
    $('m-date').textContent = header(m, 'date') || new Date(m.date).toLocaleString();
    $('download-raw').href = m.raw_url;
    $('m-attachments').replaceChildren(...m.attachments.map((a) => {
      const li = el('li');
      const link = el('a', null, a.filename || 'part-' + a.index);
      link.href = a.url;
      link.download = a.filename || '';
      link.append(' ', el('span', 'size', size(a.size)));
      li.append(link);
      return li;
    }));
    const hasHtml = Boolean(m.html && m.html.trim());
    $('m-html-box').hidden = !hasHtml;
    $('m-images').hidden = false;
    $('m-html').src = hasHtml ? mailboxPath() + '/messages/' + id + '/html' : 'about:blank';
    const text = m.text || '';
    $('m-text-box').hidden = !text.trim() && hasHtml;
    longText($('m-text'), $('m-text-more'), $('m-text-note'), $('m-text-all'), text, m.text_truncated);
    $('m-source-box').hidden = true;
    $('view-source').setAttribute('aria-pressed', 'false');
    $('m-subject').focus();
    const listed = messages.find((x) => x.id === id);
    if (listed && !listed.read) {
      listed.read = true;
      renderList();
      // fetch_email is what marks a message read for the Guerrilla Mail API's mail_read.
      gm('fetch_email', { email_id: id }).catch(() => {});
    }
  }

  function closeMessage() {
    const was = current;
    current = null;
    document.body.classList.remove('reading');
    $('message-pane').hidden = true;
    $('m-html').src = 'about:blank';
    for (const b of $('list').querySelectorAll('.item')) b.setAttribute('aria-current', 'false');
    const back = was && $('list').querySelector('[data-id="' + was + '"]');
    if (back) back.focus();
  }

  async function toggleSource() {
    const box = $('m-source-box');
    if (!box.hidden) {
      box.hidden = true;
      $('view-source').setAttribute('aria-pressed', 'false');
      return;
    }
    const text = await rest(mailboxPath() + '/messages/' + current + '/raw', true);
    longText($('m-source'), $('m-source-more'), $('m-source-note'), $('m-source-all'), text, false);
    box.hidden = false;
    $('view-source').setAttribute('aria-pressed', 'true');
  }

  async function deleteCurrent() {
    const id = current;
    const body = await gm('del_email', { 'email_ids[]': id }, true);
    if (!body.deleted_ids.includes(String(id))) throw new Error('it was already gone');
    messages = messages.filter((m) => m.id !== id);
    closeMessage();
    renderList();
    status('Message deleted.');
  }

  // ---- address actions ----

  async function newAddress(note) {
    await gm('forget_me', { email_addr: address }, true);
    // forget_me answers a bare true: the forgotten session is only in the cookie it sets.
    sid = '';
    await showAddress(await gm('get_email_address'), note);
  }

  /** Deletes every message of the address (all pages), then drops the address from the session. */
  async function forget() {
    if (!confirm('Delete all mail of ' + address + ' and forget the address?')) return;
    let ids = messages.map((m) => m.id);
    let oldest = ids.length ? ids[ids.length - 1] : 0;
    while (hasOlder && oldest > 0) {
      const body = await gm('get_older_list', { seq: oldest, limit: DELETE_BATCH });
      const more = body.list.map((m) => Number(m.mail_id));
      if (!more.length) break;
      ids = ids.concat(more);
      oldest = more[more.length - 1];
      hasOlder = Number(body.count) > more.length;
    }
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      await gm('del_email', { 'email_ids[]': ids.slice(i, i + DELETE_BATCH) }, true);
    }
    await newAddress('The old address and its ' + ids.length + ' message(s) are gone; this is a new address.');
  }

  async function choose(e) {
    e.preventDefault();
    const body = await gm('set_email_user', { email_user: $('choose-user').value.trim(), domain: $('choose-domain').value }, true);
    $('choose').hidden = true;
    $('choose-toggle').setAttribute('aria-expanded', 'false');
    await showAddress(body, 'Now using ' + body.email_addr + '.');
  }

  async function extend() {
    const body = await gm('extend', {}, true);
    timestamp = Number(body.email_timestamp);
    renderLifetime();
    status(body.affected ? 'Extended.' : body.expired ? 'The address has expired; get a new one.'
      : 'Cannot extend further (at most ' + info.extend_max_minutes + ' minutes beyond its start).');
  }

  // ---- wiring ----

  /** Runs an action from a button, reporting a failure instead of leaving the page half-changed in silence. */
  const act = (what, fn) => (e) => fn(e).catch((err) => status(what + ' failed: ' + err.message));

  $('copy').addEventListener('click', act('Copy', () => copy(address, 'Address', $('address'))));
  $('copy-swaks').addEventListener('click', act('Copy', () => copy($('swaks').textContent, 'Command', $('swaks'))));
  $('extend').addEventListener('click', act('Extend', extend));
  $('new-address').addEventListener('click', act('New address', () => newAddress('This is a new address.')));
  $('forget').addEventListener('click', act('Forget', forget));
  $('choose-toggle').addEventListener('click', () => {
    const form = $('choose');
    form.hidden = !form.hidden;
    $('choose-toggle').setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) $('choose-user').focus();
  });
  $('choose').addEventListener('submit', act('Choosing the address', choose));
  $('older').addEventListener('click', act('Loading older mail', loadOlder));
  $('back').addEventListener('click', closeMessage);
  $('view-source').addEventListener('click', act('View source', toggleSource));
  $('delete').addEventListener('click', act('Delete', deleteCurrent));
  $('show-images').addEventListener('click', () => {
    $('m-images').hidden = true;
    $('m-html').src = mailboxPath() + '/messages/' + current + '/html?images=1';
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && current !== null) closeMessage();
  });
  setInterval(() => {
    renderLifetime();
    for (const t of $('list').querySelectorAll('time[data-ts]')) t.textContent = age(Number(t.dataset.ts));
  }, 15000);
  setInterval(() => { if (address) refresh().catch(() => {}); }, REFRESH_MS);

  (async () => {
    info = await rest('/api/v1/info');
    $('choose-domain').replaceChildren(...info.domains.map((d) => el('option', null, d)));
    await showAddress(await gm('get_email_address'));
  })().catch((e) => status('The inbox could not start: ' + e.message));
})();
