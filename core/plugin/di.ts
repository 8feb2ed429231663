/**
 * The one place core takes values from tsyringe. tsyringe throws at import time unless
 * Reflect.getMetadata exists, so the polyfill is imported here, before it: a program that imports
 * `viommu-sim` (or a bundle whose shared chunk holds this module) needs no import of its own.
 */
import 'reflect-metadata';

export { container, instanceCachingFactory } from 'tsyringe';
