import { CredentialsCache } from './credentials.cache';
import { LoginThrottle } from './login.throttle';
import type { Principal } from './principal';

const principal: Principal = { tenant: 'acme', username: 'ops', actor: 'user:ops', permissions: ['READ_TARGET'] };

describe('CredentialsCache', () => {
  it('answers a verified principal until the TTL ends', () => {
    const cache = new CredentialsCache(1_000);
    cache.put('Basic abc', principal, 0);
    expect(cache.get('Basic abc', 999)).toBe(principal);
    expect(cache.get('Basic abc', 1_000)).toBeUndefined();
    expect(cache.get('Basic other', 0)).toBeUndefined();
  });
  it('keeps nothing with a TTL of 0, forgets on clear, and drops the oldest entry when full', () => {
    const off = new CredentialsCache(0);
    off.put('Basic abc', principal, 0);
    expect(off.get('Basic abc', 0)).toBeUndefined();
    const cache = new CredentialsCache(1_000, 2);
    cache.put('a', principal, 0);
    cache.put('b', principal, 0);
    cache.put('c', principal, 0);
    expect([cache.get('a', 1), cache.get('b', 1), cache.get('c', 1)]).toEqual([undefined, principal, principal]);
    cache.clear();
    expect(cache.get('c', 1)).toBeUndefined();
  });
});

describe('LoginThrottle', () => {
  it('blocks a key after the limit until its window ends, and a success resets it', () => {
    const throttle = new LoginThrottle(2, 1_000);
    throttle.fail('u', 0);
    expect(throttle.blockedFor('u', 10)).toBe(0);
    throttle.fail('u', 10);
    expect(throttle.blockedFor('u', 100)).toBe(900);
    expect(throttle.blockedFor('u', 1_000)).toBe(0);
    throttle.fail('v', 0);
    throttle.succeed('v');
    throttle.fail('v', 1);
    expect(throttle.blockedFor('v', 2)).toBe(0);
  });
  it('keeps at most maxKeys keys, dropping ended windows first, then the oldest', () => {
    const throttle = new LoginThrottle(1, 100, 2);
    throttle.fail('a', 0);
    throttle.fail('b', 50);
    throttle.fail('c', 60);
    expect([throttle.blockedFor('a', 61), throttle.blockedFor('b', 61), throttle.blockedFor('c', 61)]).toEqual([0, 89, 99]);
    throttle.fail('d', 200);
    expect([throttle.blockedFor('c', 201), throttle.blockedFor('d', 201)]).toEqual([0, 99]);
  });
});
