from geometry_msgs.msg import TransformStamped

class TFMessage:
    transforms: list[TransformStamped]
    def __init__(self, *, transforms: list[TransformStamped] = ...) -> None: ...
