/** The providers genwatch knows. Registering a new one is a line here. */
import { apiframe } from './apiframe';
import type { ProviderAdapter } from './provider';
import { useapi } from './useapi';

export const PROVIDERS: readonly ProviderAdapter[] = [apiframe, useapi];
