import assert from 'node:assert/strict';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { ednsRecord, readQuery, refuse } from './dns.js';

const ask = (edns: boolean): Buffer =>
  dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name: 'blocked.test' }],
    additionals: edns ? [ednsRecord([])] : [],
  });

test('a refused name is answered NXDOMAIN, with the reason as an Extended DNS Error when the client speaks EDNS', () => {
  for (const edns of [false, true]) {
    const q = readQuery(ask(edns));
    assert.ok(q);
    const reply = dnsPacket.decode(refuse(q.query, 'denied by network.allow'));
    assert.equal(reply.id, 4242);
    assert.equal((reply as { rcode?: string }).rcode, 'NXDOMAIN');
    assert.deepEqual(reply.questions, [{ type: 'A', name: 'blocked.test', class: 'IN' }]);
    assert.deepEqual(reply.answers, []);
    const opt = reply.additionals?.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer | undefined;
    if (!edns) {
      assert.equal(opt, undefined, 'no OPT record to a client that sent none (RFC 6891)');
      continue;
    }
    const ede = (opt?.options as unknown as Array<{ code: number; data: Buffer }>).find((o) => o.code === 15);
    assert.ok(ede, 'an Extended DNS Error option');
    assert.equal(ede.data.readUInt16BE(0), 15, 'info code 15, Blocked');
    assert.equal(ede.data.subarray(2).toString(), 'warden: denied by network.allow');
  }
});
