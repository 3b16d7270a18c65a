// ws-broadcast: a plain Node.js WebSocket broadcast server built on the `ws` package.
//
// It is the comparison peer that yunguan's load generator (`yunguan-loadgen`) is
// benchmarked against for message fan-out (see docs/benchmarks.md). It is kept
// deliberately idiomatic and minimal, so it represents "the obvious way" to do this in Node:
//
//   node server.js [--port N]       (default 8090, listens on 127.0.0.1)
//
//   GET  /ws       WebSocket endpoint; every connected client receives every published message
//   POST /publish  body (any bytes, sent as UTF-8 text) is sent as one text frame to every
//                  OPEN client, then the server answers 204
//   GET  /stats    {"clients":N,"rss":bytes}
'use strict';

const http = require('node:http');
const { WebSocketServer, WebSocket } = require('ws');

function parsePort(argv) {
  const i = argv.indexOf('--port');
  if (i !== -1 && argv[i + 1] !== undefined) return Number(argv[i + 1]);
  const eq = argv.find((a) => a.startsWith('--port='));
  if (eq) return Number(eq.slice('--port='.length));
  return 8090;
}

const port = parsePort(process.argv.slice(2));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('invalid --port');
  process.exit(2);
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (req.method === 'POST' && path === '/publish') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const data = Buffer.concat(chunks).toString('utf8');
      for (const client of wss.clients) {
        if (client.readyState === WebSocket.OPEN) client.send(data);
      }
      res.writeHead(204);
      res.end();
    });
    return;
  }
  if (req.method === 'GET' && path === '/stats') {
    const body = JSON.stringify({ clients: wss.clients.size, rss: process.memoryUsage().rss });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => {}); // a misbehaving client must not crash the server
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
