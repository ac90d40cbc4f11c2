// A Socket.IO rooms relay, as in shared/PEERS.md: `join` joins a room, `msg`
// is relayed to the room's other members (websocket transport only).
const { Server } = require('socket.io');
const port = Number(process.argv[2] || 9004);
const io = new Server(port, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
io.on('connection', (socket) => {
  let room = null;
  socket.on('join', (r) => { room = r; socket.join(r); });
  socket.on('msg', (m) => { if (room !== null) socket.to(room).emit('msg', m); });
});
console.log(`socketio-relay listening on 127.0.0.1:${port}`);
