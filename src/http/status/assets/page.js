// The HTTP page's data source: one live stream (/events) with the page's token; the view draws it.

(() => {
  const $ = (sel) => document.querySelector(sel);
  let token = sessionStorage.getItem('vitals-token') || '';
  let retryMs = 1000;
  const auth = () => (token ? { authorization: `Bearer ${token}` } : {});

  const view = window.VitalsView.create({
    async loadDetail(name, range) {
      const res = await fetch(`/api/status/checks/${encodeURIComponent(name)}?range=${range}`, {
        headers: auth(),
        cache: 'no-store',
      });
      if (!res.ok) throw new Error(res.status === 401 || res.status === 403 ? 'sign-in needed' : `HTTP ${res.status}`);
      return res.json();
    },
  });

  // A rejected token says so: wrong or expired, and what to do, rather than a silent form.
  function signIn(status, error) {
    const tried = Boolean(token);
    view.connection(status === 401 ? 'sign-in needed' : 'this token may not read status');
    const msg = $('#login-error');
    if (status === 403) msg.textContent = 'This token is valid but lacks the vitals:read scope.';
    else if (tried && /expired/i.test(error)) msg.textContent = 'This token has expired. Paste a new one.';
    else if (tried) msg.textContent = 'This token was not accepted: it is wrong or has expired.';
    msg.hidden = !tried && status === 401;
    if (tried) {
      sessionStorage.removeItem('vitals-token');
      token = '';
    }
    $('#login').hidden = false;
    $('#token').focus();
  }

  // fetch rather than EventSource: it can send the Authorization header.
  async function connect() {
    const headers = { accept: 'text/event-stream', ...auth() };
    let res;
    try {
      res = await fetch('/events', { headers, cache: 'no-store' });
    } catch {
      return reconnect();
    }
    if (res.status === 401 || res.status === 403) {
      const body = await res.text().catch(() => '');
      return signIn(res.status, `${body} ${res.headers.get('www-authenticate') || ''}`);
    }
    if (!res.ok || !res.body) return reconnect();
    $('#login').hidden = true;
    $('#login-error').hidden = true;
    view.connection('live');
    retryMs = 1000;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
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
          if (event === 'snapshot') view.snapshot(payload);
          else if (event === 'delta') view.delta(payload);
        }
      }
    } catch {
      /* stream broke: reconnect below */
    }
    reconnect();
  }

  function reconnect() {
    view.connection('reconnecting…');
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 15000);
  }

  $('#login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    token = $('#token').value.trim();
    sessionStorage.setItem('vitals-token', token);
    $('#login-error').hidden = true;
    view.connection('connecting…');
    connect();
  });
  connect();
})();
