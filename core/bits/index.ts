/** Bit fields of hardware structures held as 32-bit words, and the declarative layouts over them. */
export * from './bits.js';
export * from './layout.js';
