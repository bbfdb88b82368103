"""Writers of what the legacy TF1 code left in a run directory, in TF1's own formats: event files through
tf.compat.v1.summary.FileWriter, and checkpoints through a graph-mode tf.compat.v1.train.Saver."""
import contextlib
import os

import tensorflow as tf


def write_tf1_events(run_dir, events):
    """events: [(step, {tag: value})] written as TF1 simple-value summaries, in order, into one event file."""
    os.makedirs(run_dir, exist_ok=True)
    with tf.Graph().as_default():
        writer = tf.compat.v1.summary.FileWriter(run_dir)
        for step, values in events:
            summary = tf.compat.v1.Summary(value=[tf.compat.v1.Summary.Value(tag=tag, simple_value=value)
                                                  for tag, value in values.items()])
            writer.add_summary(summary, step)
        writer.close()


def legacy_evaluation_events(val_neg_ll, final_test_neg_ll, eval_iter=20000, finished=True, codebase_copies=True):
    """The evaluation events of a legacy run validating every eval_iter steps with these val NLLs (-ELBO = NLL + 5):
    at the 0-based index of each evaluation's last step, then (finished) the final test at step num_iter.

    codebase_copies: DVAE##, which puts the validation numbers into test/ at the periodic evaluations (DVAE#
    tests there; the test writes val + 1).
    """
    events = []
    for i, val in enumerate(val_neg_ll):
        test = val if codebase_copies else val + 1.0
        events.append(((i + 1) * eval_iter - 1, {"val/neg_elbo": val + 5.0, "test/neg_elbo": test + 5.0,
                                                 "val/neg_ll": val, "test/neg_ll": test}))
    if finished:
        num_iter = len(val_neg_ll) * eval_iter
        events.append((num_iter, {"val/neg_elbo": val_neg_ll[-1] + 5.0, "test/neg_elbo": final_test_neg_ll + 5.0,
                                  "val/neg_ll": val_neg_ll[-1], "test/neg_ll": final_test_neg_ll}))
    return events


def write_tf1_checkpoint(run_dir, arrays, step):
    """Saves arrays {legacy variable name: value} as a graph-mode tf.compat.v1.train.Saver checkpoint with the
    legacy prefix <run_dir>/-<step> (train_eval.py saved to log_dir + '/' with global_step); each variable is
    made by tf.compat.v1.get_variable inside the variable scopes its name lists. Returns the prefix."""
    os.makedirs(run_dir, exist_ok=True)
    with tf.Graph().as_default():
        variables = []
        for name, value in arrays.items():
            *scopes, leaf = name.split("/")
            with contextlib.ExitStack() as stack:
                for scope in scopes:
                    stack.enter_context(tf.compat.v1.variable_scope(scope))
                variables.append(tf.compat.v1.get_variable(leaf, initializer=tf.constant(value)))
        assert [v.op.name for v in variables] == list(arrays)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return tf.compat.v1.train.Saver(variables).save(session, os.path.join(run_dir, ""), global_step=step)
