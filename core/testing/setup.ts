// tsyringe throws at import time unless Reflect.getMetadata exists.
import 'reflect-metadata';
