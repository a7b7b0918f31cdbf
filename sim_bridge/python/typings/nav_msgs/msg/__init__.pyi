import rospy
from geometry_msgs.msg import Pose, PoseWithCovariance, TwistWithCovariance
from std_msgs.msg import Header

class Odometry:
    header: Header
    child_frame_id: str
    pose: PoseWithCovariance
    twist: TwistWithCovariance
    def __init__(
        self,
        *,
        header: Header = ...,
        child_frame_id: str = "",
        pose: PoseWithCovariance = ...,
        twist: TwistWithCovariance = ...,
    ) -> None: ...

class MapMetaData:
    map_load_time: rospy.Time
    resolution: float
    width: int
    height: int
    origin: Pose
    def __init__(
        self,
        *,
        map_load_time: rospy.Time = ...,
        resolution: float = 0.0,
        width: int = 0,
        height: int = 0,
        origin: Pose = ...,
    ) -> None: ...

class OccupancyGrid:
    header: Header
    info: MapMetaData
    data: list[int] | tuple[int, ...]
    def __init__(
        self, *, header: Header = ..., info: MapMetaData = ..., data: list[int] = ...
    ) -> None: ...
