// Preloaded (`node --import`) into each emulator process:
// - the emulators hard-code 0.0.0.0, and a development stack must never be reachable from the
//   network, so every listen() is pinned to loopback;
// - an emulator must not outlive the process that started it, even one killed with SIGKILL (whose
//   clean-up never runs), so it exits as soon as it is orphaned.
import net from "node:net";

const listen = net.Server.prototype.listen;
const WILDCARD = new Set([undefined, null, "", "0.0.0.0", "::"]);

net.Server.prototype.listen = function (...args) {
  const [first] = args;
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    if (first.path === undefined && WILDCARD.has(first.host)) args[0] = { ...first, host: "127.0.0.1" };
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    if (typeof args[1] === "string" && WILDCARD.has(args[1])) args[1] = "127.0.0.1";
    else if (typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();
