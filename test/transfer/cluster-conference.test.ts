import { clusterGroupTest } from './cluster-groups.js';

/** The conference sequences (conference.test.ts) with the participants' rooms on two hubs behind nginx. */
clusterGroupTest('conference.test.js', ['4', '4b', '10']);
