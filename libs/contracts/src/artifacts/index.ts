// Event payload schemas of the artifact-distributor (io.rollgate.artifact.*).
export {};
