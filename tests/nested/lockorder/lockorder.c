// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberate lock-order inversion for the pipeline's own tests: takes A
 * then B, then B then A, in one thread at load time.  Nothing deadlocks,
 * but lockdep must report a possible circular locking dependency, and the
 * suite must count that report as a failure of the host.
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(lockorder_a);
static DEFINE_MUTEX(lockorder_b);

static int __init lockorder_init(void)
{
	mutex_lock(&lockorder_a);
	mutex_lock(&lockorder_b);
	mutex_unlock(&lockorder_b);
	mutex_unlock(&lockorder_a);

	mutex_lock(&lockorder_b);
	mutex_lock(&lockorder_a);
	mutex_unlock(&lockorder_a);
	mutex_unlock(&lockorder_b);
	return 0;
}

static void __exit lockorder_exit(void)
{
}

module_init(lockorder_init);
module_exit(lockorder_exit);
MODULE_DESCRIPTION("Lock-order inversion that lockdep must report");
MODULE_LICENSE("GPL");
