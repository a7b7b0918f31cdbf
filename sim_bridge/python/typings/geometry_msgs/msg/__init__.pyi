from std_msgs.msg import Header

class Vector3:
    x: float
    y: float
    z: float
    def __init__(self, *, x: float = 0.0, y: float = 0.0, z: float = 0.0) -> None: ...

class Point:
    x: float
    y: float
    z: float
    def __init__(self, *, x: float = 0.0, y: float = 0.0, z: float = 0.0) -> None: ...

class Quaternion:
    x: float
    y: float
    z: float
    w: float
    def __init__(
        self, *, x: float = 0.0, y: float = 0.0, z: float = 0.0, w: float = 0.0
    ) -> None: ...

class Pose:
    position: Point
    orientation: Quaternion
    def __init__(self, *, position: Point = ..., orientation: Quaternion = ...) -> None: ...

class PoseWithCovariance:
    pose: Pose
    covariance: list[float]
    def __init__(self, *, pose: Pose = ..., covariance: list[float] = ...) -> None: ...

class Twist:
    linear: Vector3
    angular: Vector3
    def __init__(self, *, linear: Vector3 = ..., angular: Vector3 = ...) -> None: ...

class TwistWithCovariance:
    twist: Twist
    covariance: list[float]
    def __init__(self, *, twist: Twist = ..., covariance: list[float] = ...) -> None: ...

class Transform:
    translation: Vector3
    rotation: Quaternion
    def __init__(self, *, translation: Vector3 = ..., rotation: Quaternion = ...) -> None: ...

class TransformStamped:
    header: Header
    child_frame_id: str
    transform: Transform
    def __init__(
        self, *, header: Header = ..., child_frame_id: str = "", transform: Transform = ...
    ) -> None: ...
