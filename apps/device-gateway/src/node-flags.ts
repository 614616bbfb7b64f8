/**
 * Flags the gateway's Node process is started with (`node --max-semi-space-size=64 main.js`): launchers (`rollgate
 * up`, the gateway bench) look for a service's `src/node-flags.js` and start it with its `NODE_FLAGS`. V8 reads
 * them when it sets its heap up, so the process cannot set them on itself (v8.setFlagsFromString comes too late
 * for the young generation's size).
 *
 * --max-semi-space-size=64 (MB; Node 20's default is 16): every DDI request leaves short-lived garbage (request,
 * body, decided events, COPY text, the relay's messages), some of it alive for a group commit's tens of
 * milliseconds, while the memory of 100,000 devices and their actions lives in the old generation. A larger young
 * generation lets more of it die there instead of being promoted and marked with the fleet's memory. Measured in
 * the gateway bench on the shared machine (load 4-8, alternating runs): gateway CPU per committed feedback
 * message 101 and 134 µs with it, 127 and 147 µs without (its threads besides the main one, GC helpers among
 * them: 19 and 29 µs against 26 and 30). A modest, noisy gain for up to ~150 MB more RSS.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
