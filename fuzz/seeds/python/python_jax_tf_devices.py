import jax
import jax.numpy as jnp
import tensorflow as tf

jax.config.update("jax_platforms", "cuda")
gpus = jax.devices("gpu")
cpus = jax.devices("cpu")
x = jax.device_put(jnp.ones(3), gpus[0])

physical = tf.config.list_physical_devices("GPU")
for g in physical:
    tf.config.experimental.set_memory_growth(g, True)
if tf.test.is_gpu_available():
    with tf.device("/GPU:0"):
        y = tf.ones(3)
with tf.device("/CPU:0"):
    z = tf.zeros(3)
