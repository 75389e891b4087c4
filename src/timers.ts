/**
 * The one timer the library uses, declared here because the library compiles
 * without DOM or Node type definitions; every JavaScript host provides it.
 */
declare global {
  function setTimeout(callback: () => void, milliseconds: number): unknown;
}
export {};
