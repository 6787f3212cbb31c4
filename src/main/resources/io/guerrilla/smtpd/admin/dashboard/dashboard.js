// The admin dashboard: draws the samples of /dashboard/events. Everything a client sent (HELO
// names, addresses, domains) is put into the page with textContent only, never parsed as HTML.
'use strict';
(function () {
  const HISTORY = 300;
  const SVG = 'http://www.w3.org/2000/svg';
  const W = 600;
  const H = 150;
  let samples = [];

  const el = (id) => document.getElementById(id);
  const text = (id, value) => { el(id).textContent = value; };
  const count = (n) => (n == null ? '–' : Math.round(n).toLocaleString('en'));
  const rate = (n) => (n == null ? '–' : n === 0 ? '0' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en'));
  const ms = (n) => (n == null ? '–' : n < 10 ? n.toFixed(1) + ' ms' : Math.round(n) + ' ms');

  function pill(id, label, cls) {
    const p = el(id);
    p.textContent = label;
    p.className = 'pill ' + cls;
  }

  function chart(id, series) {
    const svg = el(id);
    let max = 0;
    for (const s of series) {
      for (const v of s.values) {
        if (v != null && v > max) max = v;
      }
    }
    const top = max > 0 ? max * 1.1 : 1;
    svg.replaceChildren();
    for (const s of series) {
      const points = [];
      // A server younger than the history fills the width with what it has.
      const n = s.values.length;
      const step = W / Math.max(1, n - 1);
      s.values.forEach((v, i) => {
        if (v == null) return;
        const x = n === 1 ? W : i * step;
        points.push(x.toFixed(1) + ',' + (H - (v / top) * H).toFixed(1));
      });
      const line = document.createElementNS(SVG, 'polyline');
      line.setAttribute('class', s.cls);
      line.setAttribute('points', points.join(' '));
      svg.appendChild(line);
    }
    return max;
  }

  function topList(id, entries) {
    const list = el(id);
    const items = [];
    const most = entries.length ? entries[0].count : 1;
    for (const e of entries) {
      const li = document.createElement('li');
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = e.value;
      const n = document.createElement('span');
      n.className = 'count';
      n.textContent = count(e.count);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = Math.max(2, (100 * e.count) / most) + '%';
      li.append(value, n, bar);
      items.push(li);
    }
    if (!items.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'nothing yet';
      items.push(li);
    }
    list.replaceChildren(...items);
  }

  function render(latest) {
    const s = samples[samples.length - 1];
    if (!s) return;
    text('connections-open', count(s.connections_open));
    text('connections-total', count(s.totals.connections));
    text('stored-rate', rate(s.stored_per_s));
    text('stored-total', count(s.totals.stored));
    text('temp-rate', rate(s.temp_failed_per_s));
    text('temp-total', count(s.totals.temp_failed));
    text('perm-rate', rate(s.perm_failed_per_s));
    text('perm-total', count(s.totals.perm_failed));
    text('latency-p50', ms(s.store_p50_ms));
    text('latency-p99', ms(s.store_p99_ms));
    text('store-queue', count(s.store_queue));
    text('saves-in-flight', count(s.saves_in_flight));
    text('tls-share', s.tls_share == null ? '–' : Math.round(s.tls_share * 100) + ' %');
    text('tls-total', count(s.totals.tls_handshakes));
    const reasons = Object.entries(s.totals.purged);
    text('purged-total', count(reasons.reduce((sum, [, n]) => sum + n, 0)));
    text('purged-reasons', reasons.length
      ? reasons.map(([r, n]) => r.replace(/_/g, ' ') + ' ' + count(n)).join(' · ')
      : 'rows deleted since start');
    if (s.store.draining) pill('store-state', 'draining', 'warn');
    else if (!s.store.healthy) pill('store-state', 'store unreachable', 'bad');
    else if (!s.store.free_space) pill('store-state', 'disk below min_free_space', 'bad');
    else pill('store-state', 'store healthy', 'ok');
    text('updated', 'updated ' + new Date(s.time).toLocaleTimeString('en-GB'));

    const span = Math.round((s.time - samples[0].time) / 1000);
    const since = span >= 120 ? Math.round(span / 60) + ' min ago' : span + ' s ago';
    for (const label of document.querySelectorAll('.since')) label.textContent = since;
    const col = (f) => samples.map(f);
    const mMax = chart('chart-messages', [
      { cls: 'stored', values: col((x) => x.stored_per_s) },
      { cls: 'temp', values: col((x) => x.temp_failed_per_s) },
      { cls: 'perm', values: col((x) => x.perm_failed_per_s) },
    ]);
    text('chart-messages-max', 'max ' + rate(mMax) + '/s');
    const cMax = chart('chart-connections', [{ cls: 'conn', values: col((x) => x.connections_open) }]);
    text('chart-connections-max', 'max ' + count(cMax));
    const lMax = chart('chart-latency', [
      { cls: 'p50', values: col((x) => x.store_p50_ms) },
      { cls: 'p99', values: col((x) => x.store_p99_ms) },
    ]);
    text('chart-latency-max', 'max ' + ms(lMax));

    if (latest && latest.top) {
      topList('top-clients', latest.top.clients);
      topList('top-helo', latest.top.helo);
      topList('top-domains', latest.top.domains);
    }
  }

  const events = new EventSource('/dashboard/events');
  events.addEventListener('open', () => pill('link-state', 'live', 'ok'));
  events.addEventListener('error', () => pill('link-state', 'reconnecting', 'warn'));
  events.addEventListener('history', (e) => {
    samples = JSON.parse(e.data).slice(-HISTORY);
    render(null);
  });
  events.addEventListener('sample', (e) => {
    const s = JSON.parse(e.data);
    const last = samples[samples.length - 1];
    if (last && s.time <= last.time) return;
    samples.push(s);
    if (samples.length > HISTORY) samples.shift();
    render(s);
  });
})();
