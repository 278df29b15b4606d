import { benchEnvironment } from './lib/environment.js';
import { BenchEventSource } from './lib/events.js';
import { drain } from './lib/measure.js';

const n = Number(process.argv[2] ?? 60000);
const e2 = await benchEnvironment('trysim');
const r = await drain(e2, new BenchEventSource('bench').take(n), 1);
console.log('sim', Math.round(r.perSecond), r.cpuSecondsPerEvent, Math.round(r.peakRssBytes / 1048576));
await e2.close();
