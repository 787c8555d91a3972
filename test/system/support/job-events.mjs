/**
 * A browser's view of a job: follows `GET /api/v1/jobs/{id}/events` from a line, acks what
 * it reads (as the UI does), resumes with `?after=` when closed as too slow (4008), and
 * collects every line and status until the job has ended.
 */
import WebSocket from 'ws';

const ENDED = ['successful', 'failed', 'error', 'canceled', 'lost'];

export function followJob(origin, headers, jobId, { after = 0 } = {}) {
  const state = { lines: [], statuses: [], reconnects: 0, lastLine: after };
  let resolveDone;
  let rejectDone;
  state.done = new Promise((resolve, reject) => ((resolveDone = resolve), (rejectDone = reject)));
  let finalLine = null;
  const ended = () => finalLine !== null;
  const connect = () => {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/api/v1/jobs/${jobId}/events?after=${state.lastLine}`, { headers: { ...headers, Origin: origin } });
    state.ws = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'lines') {
        for (const l of msg.lines) state.lines.push(l);
        state.lastLine = msg.lines[msg.lines.length - 1].line;
        ws.send(JSON.stringify({ type: 'ack', line: state.lastLine }));
      } else if (msg.type === 'status' || msg.type === 'hello') {
        state.statuses.push(msg.status);
        // The final status can come before the last lines were read: it says how many there are.
        if (ENDED.includes(msg.status)) finalLine = msg.last_line;
      }
      if (finalLine !== null && state.lastLine >= finalLine) finish();
    });
    ws.on('close', (code) => {
      if (code === 4008 && !ended()) {
        state.reconnects++;
        connect();
      } else if (!ended()) rejectDone(new Error(`the events socket of job ${jobId} closed (${code}) before the job ended`));
    });
    ws.on('error', (e) => rejectDone(e));
  };
  const finish = () => {
    resolveDone(state);
    state.ws.close();
  };
  connect();
  return state;
}
