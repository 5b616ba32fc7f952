import { BlockList } from 'node:net';
import { ipAllowed, readIpRule, sourceAddress } from './ip-allowlist';

describe('readIpRule', () => {
  it.each([
    ['203.0.113.7', { address: '203.0.113.7', prefix: 32, family: 'ipv4' }],
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['192.0.2.1/32', { address: '192.0.2.1', prefix: 32, family: 'ipv4' }],
    ['2001:db8::/32', { address: '2001:db8::', prefix: 32, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['2001:DB8::1/128', { address: '2001:DB8::1', prefix: 128, family: 'ipv6' }],
    ['::/0', { address: '::', prefix: 0, family: 'ipv6' }],
  ])('reads %s', (text, rule) => {
    expect(readIpRule(text)).toEqual({ rule });
  });

  it.each([
    ['a name', 'localhost', 'is not an IPv4 or IPv6 address'],
    ['an empty entry', '', 'is not an IPv4 or IPv6 address'],
    ['an IPv4 address with a part too large', '10.0.0.256', 'is not an IPv4 or IPv6 address'],
    ['an IPv4 address with leading zeros', '010.0.0.1', 'is not an IPv4 or IPv6 address'],
    ['a short IPv4 address', '10.1', 'is not an IPv4 or IPv6 address'],
    ['an IPv6 address with a zone', 'fe80::1%eth0', 'is not an IPv4 or IPv6 address'],
    ['a range without a prefix', '10.0.0.0/', 'prefix length is not a whole number from 0 to 32'],
    ['an IPv4 prefix over 32', '10.0.0.0/33', 'an IPv4 range whose prefix length is not a whole number from 0 to 32'],
    ['an IPv6 prefix over 128', '2001:db8::/129', 'an IPv6 range whose prefix length is not a whole number from 0 to 128'],
    ['a negative prefix', '10.0.0.0/-1', 'from 0 to 32'],
    ['a prefix that Number() would read', '10.0.0.0/0x8', 'from 0 to 32'],
    ['two prefixes', '10.0.0.0/8/8', 'from 0 to 32'],
    ['a mask instead of a prefix', '10.0.0.0/255.0.0.0', 'from 0 to 32'],
  ])('refuses %s, quoting it and saying why', (_name, text, why) => {
    const read = readIpRule(text);

    expect(read).toEqual({ problem: expect.stringContaining(why) });
    expect((read as { problem: string }).problem.startsWith(`${JSON.stringify(text)} is `)).toBe(true);
  });
});

describe('sourceAddress', () => {
  it.each([
    ['10.1.2.3', { address: '10.1.2.3', family: 'ipv4' }],
    ['::ffff:10.1.2.3', { address: '10.1.2.3', family: 'ipv4' }],
    ['::FFFF:127.0.0.1', { address: '127.0.0.1', family: 'ipv4' }],
    ['2001:db8::1', { address: '2001:db8::1', family: 'ipv6' }],
    ['fe80::1%eth0', { address: 'fe80::1', family: 'ipv6' }],
    ['', undefined],
    ['unknown', undefined],
  ])('reads the peer %j as %j', (ip, expected) => {
    expect(sourceAddress(ip)).toEqual(expected);
  });
});

describe('ipAllowed', () => {
  it.each([
    ['an IPv4 address in its range', ['10.0.0.0/8'], '10.255.0.1', true],
    ['an IPv4 address outside its range', ['10.0.0.0/8'], '11.0.0.1', false],
    ['the one address of a /32', ['203.0.113.7/32'], '203.0.113.7', true],
    ['its neighbour', ['203.0.113.7/32'], '203.0.113.8', false],
    ['a single address written without a prefix', ['203.0.113.7'], '203.0.113.7', true],
    ['a range written with host bits set (they are ignored)', ['10.1.2.3/8'], '10.9.9.9', true],
    ['an IPv4-mapped IPv6 peer in an IPv4 range', ['10.0.0.0/8'], '::ffff:10.1.2.3', true],
    ['an IPv4-mapped IPv6 peer outside it', ['10.0.0.0/8'], '::ffff:192.0.2.1', false],
    ['an IPv6 address in its range', ['2001:db8::/32'], '2001:db8:ffff::1', true],
    ['an IPv6 address outside it', ['2001:db8::/32'], '2001:db9::1', false],
    ['the one address of a /128', ['2001:db8::1/128'], '2001:db8::1', true],
    ['its neighbour', ['2001:db8::1/128'], '2001:db8::2', false],
    ['an IPv6 address, however it is written', ['2001:db8::/32'], '2001:0DB8:0000::0001', true],
    ['any IPv4 address under 0.0.0.0/0', ['0.0.0.0/0'], '198.51.100.1', true],
    ['no IPv6 address under 0.0.0.0/0', ['0.0.0.0/0'], '2001:db8::1', false],
    ['any IPv6 address under ::/0', ['::/0'], '2001:db8::1', true],
    ['an IPv4 peer against IPv6 rules only', ['2001:db8::/32'], '10.0.0.1', false],
    ['an IPv6 peer against IPv4 rules only', ['10.0.0.0/8'], '2001:db8::1', false],
    ['a link-local peer with its zone', ['fe80::/10'], 'fe80::1%eth0', true],
    ['a peer the door could not tell', ['0.0.0.0/0', '::/0'], '', false],
    ['anyone, with an empty list', [], '10.0.0.1', false],
    ['anyone, past an entry that cannot be read', ['not-an-ip', '10.0.0.0/8'], '10.0.0.1', true],
  ])('checks %s: %j, from %j → %s', (_name, list, ip, expected) => {
    expect(ipAllowed(list, ip)).toBe(expected);
  });

  it('compiles a list once and reuses it for every check', () => {
    const list = ['10.0.0.0/8'];
    const spy = jest.spyOn(BlockList.prototype, 'addSubnet');

    for (let i = 0; i < 5; i++) ipAllowed(list, `10.0.0.${i}`);

    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('answers the same for a peer seen again after many others', () => {
    const list = ['10.0.0.0/8'];
    const peers = Array.from({ length: 1_500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

    const first = peers.map((ip) => ipAllowed(list, ip));
    const again = peers.map((ip) => ipAllowed(list, ip));
    const outsider = ipAllowed(list, '192.0.2.1');

    expect(first.every(Boolean)).toBe(true);
    expect(again).toEqual(first);
    expect(outsider).toBe(false);
  });
});
