// Preloaded into a service (NODE_OPTIONS=--require <this file>, where --cpu-prof is refused) to
// CPU-profile a window of its life: the first SIGUSR2 starts the V8 sampling profiler, the next
// writes the profile to $KEEL_CPU_PROFILE_DIR/<pid>-<n>.cpuprofile. Plain JavaScript, since
// NODE_OPTIONS preloads load before any TypeScript hook.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload loads with require */
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.KEEL_CPU_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  const intervalUs = Number(process.env.KEEL_CPU_PROFILE_INTERVAL_US || 200);
  let running = false;
  let written = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: intervalUs }, () =>
          session.post('Profiler.start'),
        ),
      );
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      written += 1;
      const file = path.join(dir, `${process.pid}-${written}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(result.profile));
      // The bench waits for this line in the service's log.
      console.log(JSON.stringify({ msg: 'cpu profile written', file }));
    });
  });
}
