import fc from 'fast-check';
import { mean, percentile, percentiles, selectPercentile, slope, stddev, trendOf } from './stats';

describe('stats', () => {
  it('uses nearest-rank percentiles', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentiles(values, [5, 30, 40, 50, 100])).toEqual([15, 20, 20, 35, 50]);
    expect(percentile([], 50)).toBeUndefined();
  });

  it('selection gives the same percentile as sorting', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 100 }), (values, p) => {
        expect(selectPercentile(Float64Array.from(values), p)).toBe(percentile(values, p));
      }),
    );
  });

  it('computes mean, population stddev, slope and trend', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(stddev([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
    expect(slope([0, 1, 2], [1, 3, 5])).toBe(2);
    expect(trendOf([0, 1, 2, 3], [10, 10, 10, 10])).toBe('stable');
    expect(trendOf([0, 1, 2, 3], [10, 11, 12, 13])).toBe('increasing');
    expect(trendOf([0, 1, 2, 3], [13, 12, 11, 10])).toBe('decreasing');
  });
});
