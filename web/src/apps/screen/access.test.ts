import { describe, expect, it } from 'vitest'
import { takeKey } from './access'

describe('the display key in the address', () => {
  it('is taken out, the rest of the address kept', () => {
    expect(takeKey('http://wall/screen/?key=abc&views=room:3')).toEqual({ key: 'abc', address: '/screen/?views=room%3A3' })
    expect(takeKey('http://wall/screen/')).toEqual({ key: null, address: '/screen/' })
  })

  it('comes back to the address the wall had after an expired token, without a key in it', () => {
    const back = encodeURIComponent('/screen/?views=cloud&key=old')
    expect(takeKey(`http://wall/screen/?return=${back}&expired=1`)).toEqual({ key: null, address: '/screen/?views=cloud' })
    // Only an address on this site is followed.
    expect(takeKey('http://wall/screen/?return=%2F%2Fevil.example%2F&expired=1')).toEqual({ key: null, address: '/screen/' })
  })
})
