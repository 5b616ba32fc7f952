import { ListenAddressError, listenAddress, listenFailureMessage } from './listen';

const errno = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

describe('listenAddress', () => {
  it.each([
    [{}, { port: 8787, host: '127.0.0.1' }],
    [{ PORT: '9000' }, { port: 9000, host: '127.0.0.1' }],
    [{ PORT: '0' }, { port: 0, host: '127.0.0.1' }],
    [{ PORT: ' 8080 ', HOST: '0.0.0.0' }, { port: 8080, host: '0.0.0.0' }],
    [{ PORT: '', HOST: '' }, { port: 8787, host: '127.0.0.1' }],
    [{ HOST: '::1' }, { port: 8787, host: '::1' }],
  ])('reads %j as %j', (env, expected) => {
    // Act
    const address = listenAddress(env);

    // Assess
    expect(address).toEqual(expected);
  });

  // Number() would read the last three as 8080, 1000 and 8080.
  it.each(['abc', '8787x', '-1', '65536', '80.5', '0x1f90', '1e3', '8080.0'])('refuses PORT=%s, naming the variable and the value', (PORT) => {
    // Act
    const act = () => listenAddress({ PORT });

    // Assess
    expect(act).toThrow(ListenAddressError);
    expect(act).toThrow(`PORT must be a port number from 0 to 65535, not "${PORT}"`);
  });
});

describe('listenFailureMessage', () => {
  const at = { port: 8787, host: '127.0.0.1' };

  it.each([
    ['EADDRINUSE', at, 'port 8787 on 127.0.0.1 is already in use (another aigw, or another program): stop it, or start on another port: PORT=8788 npm start'],
    ['EADDRINUSE', { port: 65535, host: '127.0.0.1' }, 'port 65535 on 127.0.0.1 is already in use (another aigw, or another program): stop it, or start on another port: PORT=8788 npm start'],
    ['EACCES', { port: 80, host: '0.0.0.0' }, 'port 80 on 0.0.0.0 needs privileges this user lacks: use a port above 1023, e.g. PORT=8787 npm start'],
    ['EADDRNOTAVAIL', { port: 8787, host: '10.9.9.9' }, 'HOST 10.9.9.9 is not an address of this machine: use one of its addresses (127.0.0.1, the default; 0.0.0.0 for all)'],
    ['ENOTFOUND', { port: 8787, host: 'nohost' }, 'HOST nohost is not an address of this machine: use one of its addresses (127.0.0.1, the default; 0.0.0.0 for all)'],
  ])('words %s at %j as what to do', (code, address, expected) => {
    // Act
    const message = listenFailureMessage(errno(code), address);

    // Assess
    expect(message).toBe(expected);
  });

  it.each([[errno('ECONNREFUSED')], [new Error('the data dir is in use')], [undefined], ['a string']])('leaves any other failure (%p) to the caller', (err) => {
    // Act
    const message = listenFailureMessage(err, at);

    // Assess
    expect(message).toBeUndefined();
  });
});
