// The peer users would write: one describeTaskInfo loop per task on the official Node SDK.
//
//   node sdk-poller.js --endpoint 127.0.0.1:PORT --interval-ms MS --tasks FILE
//
// Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET, the CA from
// NODE_EXTRA_CA_CERTS, and @alicloud/* from NODE_PATH (the scratch install of run.sh).
// Each loop polls, then sleeps the interval, until its task is terminal; the first poll of
// each task is at a random moment within the first interval, as taskwatchd does. Prints
// "ready" once the SDK is loaded and the loops are started, and a JSON summary at the end.
'use strict';

const fs = require('fs');
const Client = require('@alicloud/cs20151215').default;
const { $OpenApiUtil } = require('@alicloud/openapi-core');

function arg(name, dflt) {
        const i = process.argv.indexOf(name);
        return i >= 0 ? process.argv[i + 1] : dflt;
}

const endpoint = arg('--endpoint');
const intervalMs = Number(arg('--interval-ms', '5000'));
const tasks = fs.readFileSync(arg('--tasks'), 'utf8').split('\n').filter(Boolean);
const TERMINAL = new Set(['success', 'fail', 'failed', 'canceled', 'cancelled']);

const client = new Client(new $OpenApiUtil.Config({
        accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
        accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
        endpoint,
        protocol: 'https',
        regionId: 'cn-hangzhou',
}));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let polls = 0, errors = 0, done = 0;

async function watch(id) {
        await sleep(Math.random() * intervalMs);
        for (;;) {
                try {
                        const r = await client.describeTaskInfo(id);
                        polls++;
                        if (TERMINAL.has(r.body.state)) {
                                done++;
                                return;
                        }
                } catch (e) {
                        errors++;
                        if (errors <= 3)
                                process.stderr.write(`sdk-poller: ${id}: ${e.message}\n`);
                }
                await sleep(intervalMs);
        }
}

const started = Date.now();
Promise.all(tasks.map(watch)).then(() => {
        process.stdout.write(JSON.stringify({ polls, errors, done, ms: Date.now() - started }) + '\n');
});
process.stdout.write('ready\n');
