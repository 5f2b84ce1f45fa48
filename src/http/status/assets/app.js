// mcp-vitals status page: one live stream (/events), no framework. Text and icon carry every status,
// colour only repeats them.
'use strict';
(function () {
  const HOUR = 3600;
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };

  const state = { rows: new Map(), series: new Map(), charts: new Map(), gauges: new Map(), view: null };
  let token = sessionStorage.getItem('vitals-token') || '';
  let retryMs = 1000;
  let controller;

  function ago(iso) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm ago';
    return Math.floor(s / 86400) + 'd ago';
  }

  function setStatus(node, status, icon, word) {
    node.dataset.status = status;
    node.querySelector('.icon').textContent = icon;
    node.querySelector('.word').textContent = word;
  }

  // Points for a sparkline, trimmed to the last hour.
  function push(name, t, v) {
    if (v === null || v === undefined) return;
    let s = state.series.get(name);
    if (!s) state.series.set(name, (s = [[], []]));
    s[0].push(t);
    s[1].push(v);
    while (s[0].length && s[0][0] < t - HOUR) {
      s[0].shift();
      s[1].shift();
    }
    const chart = state.charts.get(name);
    if (chart) chart.setData(s);
  }

  function chart(name, container, width, height) {
    if (typeof uPlot === 'undefined') return;
    const old = state.charts.get(name);
    if (old) old.destroy();
    const data = state.series.get(name) || [[], []];
    const color = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#0969da';
    const u = new uPlot(
      { width, height, legend: { show: false }, cursor: { show: false }, select: { show: false }, axes: [{ show: false }, { show: false }],
        scales: { x: { time: true } }, series: [{}, { stroke: color, width: 1.5, fill: color + '22', points: { show: false } }] },
      data,
      container,
    );
    state.charts.set(name, u);
  }

  function renderGauge(g) {
    let node = state.gauges.get(g.name);
    if (!node) {
      node = el('div', { class: 'gauge', 'data-gauge': g.name },
        el('div', { class: 'label' }, el('span', { text: g.label }), el('span', { class: 'value' })),
        el('div', { class: 'bar', role: 'meter', 'aria-label': g.label, 'aria-valuemin': '0', 'aria-valuemax': '100' }, el('span')),
        el('div', { class: 'chart' }));
      $('#gauges').append(node);
      state.gauges.set(g.name, node);
      chart(g.name, node.querySelector('.chart'), Math.max(120, node.clientWidth - 24), 60);
    }
    node.querySelector('.value').textContent = g.text;
    const pct = g.ratio === null ? 0 : Math.round(g.ratio * 1000) / 10;
    node.querySelector('.bar').setAttribute('aria-valuenow', String(pct));
    node.querySelector('.bar > span').style.width = pct + '%';
  }

  function renderRow(c) {
    let tr = state.rows.get(c.name);
    if (!tr) {
      tr = el('tr', { 'data-check': c.name },
        el('td', { class: 'status' }, el('span', { class: 'icon', 'aria-hidden': 'true' }), ' ', el('span', { class: 'word' })),
        el('td', { class: 'name' }),
        el('td', { class: 'value' }),
        el('td', { class: 'since' }),
        el('td', { class: 'spark-col' }, el('div', { class: 'spark' })),
        el('td', { class: 'detail' }));
      $('#checks tbody').append(tr);
      state.rows.set(c.name, tr);
      chart(c.name, tr.querySelector('.spark'), 120, 28);
    }
    setStatus(tr.querySelector('td.status'), c.status, c.icon, c.word);
    tr.dataset.status = c.status;
    const name = tr.querySelector('td.name');
    name.textContent = c.name;
    name.append(el('span', { class: 'badge', text: c.kind }));
    if (c.critical) name.append(el('span', { class: 'badge', text: 'critical' }));
    tr.querySelector('td.value').textContent = c.value;
    const since = tr.querySelector('td.since');
    since.dataset.since = c.since;
    since.textContent = ago(c.since);
    since.title = c.since;
    tr.querySelector('td.detail').textContent = c.output;
  }

  function renderEvent(e, prepend) {
    const li = el('li', { 'data-check': e.check },
      el('time', { datetime: e.time, text: new Date(e.time).toLocaleTimeString() }),
      document.createTextNode(e.check + ': ' + (e.type === 'breaker' ? 'circuit ' : '') + e.from + ' → ' + e.to + ' — ' + e.reason));
    const list = $('#events');
    if (prepend) list.prepend(li);
    else list.append(li);
    while (list.children.length > 20) list.lastElementChild.remove();
  }

  // The analysis' own sentences, ongoing incidents first: the same words diagnose answers with.
  function renderIncidents(list) {
    $('#incidents').replaceChildren(...list.map((i) => el('li', { 'data-status': i.ongoing ? i.status : 'pass', class: 'status' }, document.createTextNode(i.text))));
    $('#no-incidents').hidden = list.length > 0;
  }

  function header(v) {
    document.title = v.icon + ' ' + v.hostname + ' — mcp-vitals';
    $('#host').textContent = v.hostname;
    setStatus($('#overall'), v.status, v.icon, v.word);
    $('#updated').textContent = 'updated ' + new Date(v.time).toLocaleTimeString();
  }

  function onSnapshot(data) {
    // A full snapshot replaces everything: the page never shows a row the daemon no longer has.
    for (const c of state.charts.values()) c.destroy();
    state.rows.clear(); state.charts.clear(); state.gauges.clear(); state.series.clear();
    $('#checks tbody').replaceChildren();
    $('#gauges').replaceChildren();
    $('#events').replaceChildren();
    for (const [name, points] of Object.entries(data.history || {})) for (const [t, v] of points) push(name, t, v);
    state.view = data.view;
    header(data.view);
    for (const g of data.view.gauges) renderGauge(g);
    const t = Date.parse(data.view.time) / 1000;
    for (const g of data.view.gauges) push(g.name, t, g.ratio);
    for (const c of data.view.checks) {
      renderRow(c);
      if (c.group === 'dependency') push(c.name, t, c.observedValue);
    }
    for (const e of data.events) renderEvent(e, false);
    renderIncidents(data.view.incidents || []);
  }

  function onDelta(d) {
    header({ ...state.view, ...d, hostname: state.view.hostname });
    const t = Date.parse(d.time) / 1000;
    for (const g of d.gauges) {
      renderGauge(g);
      push(g.name, t, g.ratio);
    }
    for (const c of d.checks) {
      renderRow(c);
      if (c.group === 'dependency') push(c.name, t, c.observedValue);
    }
    for (const name of d.removed) {
      state.rows.get(name)?.remove();
      state.rows.delete(name);
    }
    for (const e of d.events.slice().reverse()) renderEvent(e, true);
    if (d.incidents) renderIncidents(d.incidents);
  }

  function connection(text) {
    $('#connection').textContent = text;
  }

  // fetch rather than EventSource: it can send the Authorization header.
  async function connect() {
    controller = new AbortController();
    const headers = { accept: 'text/event-stream' };
    if (token) headers.authorization = 'Bearer ' + token;
    let res;
    try {
      res = await fetch('/events', { headers, signal: controller.signal, cache: 'no-store' });
    } catch {
      return reconnect();
    }
    if (res.status === 401 || res.status === 403) {
      connection(res.status === 401 ? 'sign-in needed' : 'this token may not read status');
      $('#login').hidden = false;
      return;
    }
    if (!res.ok || !res.body) return reconnect();
    $('#login').hidden = true;
    connection('live');
    retryMs = 1000;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          let data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
            else if (line.startsWith('retry: ')) retryMs = Number(line.slice(7)) || retryMs;
          }
          if (!data) continue;
          const payload = JSON.parse(data);
          if (event === 'snapshot') onSnapshot(payload);
          else if (event === 'delta') onDelta(payload);
        }
      }
    } catch {
      /* stream broke: reconnect below */
    }
    reconnect();
  }

  function reconnect() {
    connection('reconnecting…');
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 15000);
  }

  $('#login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    token = $('#token').value.trim();
    sessionStorage.setItem('vitals-token', token);
    connect();
  });
  setInterval(() => {
    for (const td of document.querySelectorAll('td.since')) if (td.dataset.since) td.textContent = ago(td.dataset.since);
  }, 10000);
  connect();
})();
