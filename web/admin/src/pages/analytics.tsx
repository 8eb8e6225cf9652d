// H5: placeholder written by H4 so the build links; overwrite this whole file with the real page.
import { Page } from '../ui';
export const AnalyticsPage = () => <Page title="Analytics">Coming soon.</Page>;
