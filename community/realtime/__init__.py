"""Socket.IO: connection auth and rooms (handlers), and the after-commit publisher."""
