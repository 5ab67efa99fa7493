import { metricNames } from '../../../src/render/monitoring/promql';

describe('metricNames', () => {
  it('finds the series and ignores functions, aggregations, keywords, labels, ranges and numbers', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(synapse_http_server_response_time_seconds_bucket{job="synapse"}[5m])))')).toEqual([
      'synapse_http_server_response_time_seconds_bucket',
    ]);
    expect(metricNames('max(a_position{job="synapse"}) - on() group_right() b_positions{job="synapse"} > 1000')).toEqual(['a_position', 'b_positions']);
    expect(metricNames('sum without (gen) (rate(x_total[1m] offset 5m)) / ignoring(code) y or vector(0) and z unless w')).toEqual(['w', 'x_total', 'y', 'z']);
    expect(metricNames('up{job="mas"} == 0 or absent(pg_up)')).toEqual(['pg_up', 'up']);
    expect(metricNames('sum (rate (foo_total [5m]))')).toEqual(['foo_total']);
  });

  it('does not take words inside label values, or exponents, for series', () => {
    expect(metricNames('ALERTS{alertstate="firing", alertname=~"rate(x)|sum"} * 1e3')).toEqual(['ALERTS']);
  });
});
