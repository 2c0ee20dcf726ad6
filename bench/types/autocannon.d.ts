/** autocannon ships no types; the benchmarks use it through its documented options. */
declare module 'autocannon' {
  function autocannon(options: Record<string, unknown>): any;
  namespace autocannon {
    function track(instance: any, options?: Record<string, unknown>): void;
  }
  export default autocannon;
}
