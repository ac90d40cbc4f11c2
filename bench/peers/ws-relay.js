// A minimal room relay on Node `ws`, as in shared/PEERS.md: the first frame
// {"join": room} joins a room; every later text frame goes to the room's
// other members.
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] || 9003);
const rooms = new Map();
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
wss.on('connection', (ws) => {
  let room = null;
  ws.on('message', (data, isBinary) => {
    if (room === null) {
      try { room = JSON.parse(data.toString()).join; } catch { room = ''; }
      if (!rooms.has(room)) rooms.set(room, new Set());
      rooms.get(room).add(ws);
      return;
    }
    for (const peer of rooms.get(room)) {
      if (peer !== ws && peer.readyState === 1) peer.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => { if (room !== null) rooms.get(room)?.delete(ws); });
});
wss.on('listening', () => console.log(`ws-relay listening on 127.0.0.1:${port}`));
