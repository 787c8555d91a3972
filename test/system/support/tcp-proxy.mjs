/**
 * A TCP proxy on 127.0.0.1 between the relay and the Worker, so a test can cut the relay's
 * WebSocket mid-job the way a network does (both directions, at once) without touching
 * either process.
 */
import net from 'node:net';

export async function startProxy(targetPort, targetHost = 'localhost') {
  const pairs = new Set();
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: targetHost, port: targetPort });
    const pair = [inbound, outbound];
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    /** Connections open right now. */
    get open() {
      return pairs.size;
    },
    /** Destroys every open connection (new ones are still accepted). */
    cut() {
      const n = pairs.size;
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      return n;
    },
    close: () =>
      new Promise((resolve) => {
        for (const [a, b] of pairs) (a.destroy(), b.destroy());
        server.close(() => resolve());
      }),
  };
}
